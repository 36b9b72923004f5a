-- mart.renovated_compounds: one row per submitting unit, project (project_code) and year of compound lists;
-- project_name is the project's latest registered name.
create or replace table mart.renovated_compounds as
with compounds as (
    select * from staging.compound_list
),

projects as (
    select project_code, year, project_name from intermediate.project_years
),

final as (
    select
        compounds.unit,
        compounds.project_code,
        projects.project_name,
        compounds.year,
        count(*) as compounds,
        sum(compounds.area_m2) as area_m2,
        sum(compounds.households)::bigint as households,  -- a count, as every count is (a sum of integers is HUGEINT)
        sum(compounds.planned_investment_wan) as planned_investment_wan,
        count(*) filter (where compounds.status = '已完工') as completed_compounds,
        max(intermediate.decimals_of(compounds.planned_investment_wan)) as planned_decimals,
        list(struct_pack(submission_id := compounds.submission_id, sheet := compounds.sheet,
            excel_row := compounds.excel_row)
            order by compounds.submission_id, compounds.sheet, compounds.excel_row) as lineage
    from compounds
    left join projects using (project_code, year)
    group by all
    order by compounds.unit, projects.project_name, compounds.project_code, compounds.year
)

select * from final;

comment on table mart.renovated_compounds is '老旧小区改造规模：每个报送单位、项目、年度一行';
comment on column mart.renovated_compounds.unit is '报送单位（街道办事处）';
comment on column mart.renovated_compounds.project_code is '项目编码（按项目编码汇总；未填编码的项目为“自编:实施单位/项目名称”）';
comment on column mart.renovated_compounds.project_name is '项目名称：项目基本信息表中最新登记的名称';
comment on column mart.renovated_compounds.year is '年度';
comment on column mart.renovated_compounds.compounds is '改造小区数（个）';
comment on column mart.renovated_compounds.area_m2 is '改造面积（平方米）';
comment on column mart.renovated_compounds.households is '惠及户数（户）';
comment on column mart.renovated_compounds.planned_investment_wan is '计划投资（万元）';
comment on column mart.renovated_compounds.completed_compounds is '改造状态为“已完工”的小区数（个）';
comment on column mart.renovated_compounds.planned_decimals is '计划投资（万元）各行的最多小数位数，用于按原表精度显示';
comment on column mart.renovated_compounds.lineage is '来源：提交编号、工作表、Excel行号';
