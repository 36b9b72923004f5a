-- intermediate.project_years: one row per project (project_code) and year that any accepted submission reports
-- on, with the project's latest registered name, the names it was registered under before (aliases), and its
-- register entry for the year (that year's, else the latest earlier one, else the latest).
create or replace table intermediate.project_years as
with reported as (
    select project_code, year, submission_id, project_name from staging.compound_list
    union all select project_code, year, submission_id, project_name from staging.fund_ledger
    union all select project_code, year, submission_id, project_name from staging.investment_progress
    union all select project_code, year, submission_id, project_name from staging.performance_targets
    union all select project_code, year, submission_id, project_name from staging.satisfaction_survey
    union all select project_code, year, submission_id, project_name from staging.scale_and_cost
    union all select project_code, year, submission_id, project_name from staging.project_register
    -- A 运行监控表 alone (a 1-6月 form before the year's other files) is a year of its project too.
    union all select project_code, year, submission_id, project_name from staging.performance_monitoring
),

register as (
    select * from staging.project_register
),

-- Every name a project was registered under in a file accepted, or accepted and since corrected (not withdrawn).
register_history as (
    select history.project_code, history.project_name
    from raw.project_register as history
    inner join ops.submissions as submissions using (submission_id)
    where submissions.status in ('accepted', 'superseded') and history.project_code is not null
),

-- A project's name is the one of its newest register row in force: a later year's, else a later file's.
latest as (
    select project_code, project_name, project_code_derived
    from register
    qualify row_number() over (
        partition by project_code order by year desc, submission_id desc, excel_row desc
    ) = 1
),

aliases as (
    select register_history.project_code, list_sort(list(distinct register_history.project_name)) as aliases
    from register_history
    inner join latest using (project_code)
    where register_history.project_name <> latest.project_name
    group by register_history.project_code
),

-- The name the data itself used, for a project whose register rows are no longer in force.
reported_names as (
    select project_code, arg_max(project_name, submission_id) as project_name
    from reported
    where project_code is not null
    group by project_code
),

project_years as (
    select distinct project_code, year
    from reported
    where project_code is not null and year is not null
),

ranked as (
    select
        project_years.project_code,
        project_years.year,
        register.project_type,
        register.implementing_unit,
        register.planned_start,
        register.planned_finish,
        register.planned_total_investment_wan,
        [struct_pack(submission_id := register.submission_id, sheet := register.sheet,
            excel_row := register.excel_row)] as register_lineage,
        row_number() over (
            partition by project_years.project_code, project_years.year
            order by register.year = project_years.year desc, register.year <= project_years.year desc,
                register.year desc, register.submission_id desc, register.excel_row desc
        ) as preference
    from project_years
    left join register on register.project_code = project_years.project_code
),

final as (
    select
        ranked.project_code,
        coalesce(latest.project_name, reported_names.project_name) as project_name,
        coalesce(latest.project_code_derived, starts_with(ranked.project_code, '自编:')) as project_code_derived,
        coalesce(aliases.aliases, []) as project_aliases,
        ranked.year,
        ranked.project_type,
        ranked.implementing_unit,
        ranked.planned_start,
        ranked.planned_finish,
        ranked.planned_total_investment_wan,
        ranked.register_lineage
    from ranked
    left join latest using (project_code)
    left join aliases using (project_code)
    left join reported_names using (project_code)
    where ranked.preference = 1
)

select * from final;

comment on table intermediate.project_years is '项目年度：每个有已接收数据的项目（按项目编码）、年度一行，附最新登记名称与当年度的登记信息';
comment on column intermediate.project_years.project_code is '项目编码（项目基本信息表；未填时为生成的“自编:实施单位/项目名称”）';
comment on column intermediate.project_years.project_name is '项目名称：最新一行登记（年度最晚，其次接收最晚）的名称';
comment on column intermediate.project_years.project_code_derived is '项目编码由实施单位和项目名称生成（登记时未填项目编码）';
comment on column intermediate.project_years.project_aliases is '项目更名前登记过的名称（仍可用于报送）';
comment on column intermediate.project_years.year is '年度';
comment on column intermediate.project_years.project_type is '项目类型（当年度的登记，否则最近年度的登记）';
comment on column intermediate.project_years.implementing_unit is '实施单位（当年度的登记，否则最近年度的登记）';
comment on column intermediate.project_years.planned_start is '计划开工日期';
comment on column intermediate.project_years.planned_finish is '计划完工日期';
comment on column intermediate.project_years.planned_total_investment_wan is '计划总投资（万元）';
comment on column intermediate.project_years.register_lineage is '所用登记行的来源：提交编号、工作表、Excel行号';
