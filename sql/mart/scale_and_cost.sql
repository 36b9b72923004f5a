-- mart.scale_and_cost: one row per item of a project's (project_code) 建设规模及投资构成表 and year, in sheet
-- order; project_name is the project's latest registered name.
create or replace table mart.scale_and_cost as
with source as (
    select * from staging.scale_and_cost
),

projects as (
    select project_code, year, project_name from intermediate.project_years
),

final as (
    select
        source.project_code,
        projects.project_name,
        source.year,
        source.category,
        source.item,
        source.parent_item,
        source.quantity,
        source.quantity_unit as unit,
        -- The source's decimals are those of its column within the category, so 3,360.00 prints as written.
        max(intermediate.decimals_of(source.quantity)) over (
            partition by source.submission_id, source.sheet, source.category, source.quantity_unit
        ) as quantity_decimals,
        row_number() over (
            partition by source.project_code, source.year order by source.submission_id, source.sheet, source.excel_row
        ) as position,
        [struct_pack(submission_id := source.submission_id, sheet := source.sheet,
            excel_row := source.excel_row)] as lineage
    from source
    left join projects using (project_code, year)
    order by projects.project_name, source.project_code, source.year, position
)

select * from final;

comment on table mart.scale_and_cost is '建设规模及投资构成：每个项目、年度的每一项一行（按原表顺序）';
comment on column mart.scale_and_cost.project_code is '项目编码（按项目编码汇总；未填编码的项目为“自编:实施单位/项目名称”）';
comment on column mart.scale_and_cost.project_name is '项目名称：项目基本信息表中最新登记的名称';
comment on column mart.scale_and_cost.year is '年度';
comment on column mart.scale_and_cost.category is '类别：建设规模 或 投资构成';
comment on column mart.scale_and_cost.item is '内容（已去掉“其中：”前缀）';
comment on column mart.scale_and_cost.parent_item is '“其中”项所属的上一行内容；顶层行为空';
comment on column mart.scale_and_cost.quantity is '数量（金额以万元计，面积以平方米计）';
comment on column mart.scale_and_cost.unit is '数量的单位（户、套、平方米、万元…）';
comment on column mart.scale_and_cost.quantity_decimals is '同类别同单位各行数量的最多小数位数（用于按原表精度显示）';
comment on column mart.scale_and_cost.position is '在项目中的顺序（原表行序）';
comment on column mart.scale_and_cost.lineage is '来源：提交编号、工作表、Excel行号';
