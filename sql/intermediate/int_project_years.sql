-- intermediate.project_years: one row per project and year that any accepted submission reports on, with the
-- project's register entry (that year's, else the latest earlier one, else the latest).
create or replace table intermediate.project_years as
with reported as (
    select project_name, year from staging.compound_list
    union select project_name, year from staging.fund_ledger
    union select project_name, year from staging.investment_progress
    union select project_name, year from staging.performance_targets
    union select project_name, year from staging.satisfaction_survey
    union select project_name, year from staging.scale_and_cost
    union select project_name, year from staging.project_register
),

register as (
    select * from staging.project_register
),

ranked as (
    select
        reported.project_name,
        reported.year,
        register.project_code,
        register.project_type,
        register.implementing_unit,
        register.planned_total_investment_wan,
        [struct_pack(submission_id := register.submission_id, sheet := register.sheet,
            excel_row := register.excel_row)] as register_lineage,
        row_number() over (
            partition by reported.project_name, reported.year
            order by register.year = reported.year desc, register.year <= reported.year desc,
                register.year desc, register.submission_id desc
        ) as preference
    from reported
    left join register on register.project_name = reported.project_name
    where reported.project_name is not null and reported.year is not null
),

final as (
    select
        coalesce(project_code, '') as project_code,
        project_name,
        year,
        project_type,
        implementing_unit,
        planned_total_investment_wan,
        register_lineage
    from ranked
    where preference = 1
)

select * from final;
