-- staging.scale_and_cost: one row per scale or cost item of a project and year; 其中 rows name their parent.
-- Only rows of the latest accepted submission of each slice; earlier versions stay in raw.scale_and_cost.
create or replace view staging.scale_and_cost as
with source as (
    select * from raw.scale_and_cost
),

current_slices as (
    select submission_id, slice_key from ops.current_slices
),

final as (
    select
        source.submission_id,
        source.sheet,
        source.excel_row,
        source.unit,
        source.project_code,
        source.project_name,
        source.year,
        source.category,
        -- The prefix as pipeline/row_parts.py finds a part row once spaces are folded away (the registry's
        -- part_of_previous prefixes): `其中` with a colon, a comma or nothing after it, or in brackets, and `含` with
        -- its colon, so `其 中: 征地费用`, `其中征地费用`, `（其中）征地费用` and `含：征地费用` lose theirs. Only a
        -- part's: a row stored as a top-level one before keeps what it says.
        case
            when source.parent_item is null then source.item
            else regexp_replace(
                source.item,
                '^[\s\p{Z}]*(?:[（(]?[\s\p{Z}]*其[\s\p{Z}]*中[\s\p{Z}]*[）)]?[\s\p{Z}]*[:：,，、;；]?|含[\s\p{Z}]*[:：])[\s\p{Z}]*',
                ''
            )
        end as item,
        source.parent_item,
        source.quantity,
        source.quantity_unit
    from source
    inner join current_slices using (submission_id, slice_key)
    -- Rows stored before project codes whose name matched several projects stay in raw only.
    where source.project_code is not null
)

select * from final;

comment on view staging.scale_and_cost is '建设规模及投资构成表：每个项目、年度的每个规模或投资项目一行，仅当前有效的提交';
comment on column staging.scale_and_cost.submission_id is '提交编号（ops.submissions）：该行所属切片当前有效的提交';
comment on column staging.scale_and_cost.sheet is '工作表名称';
comment on column staging.scale_and_cost.excel_row is 'Excel中显示的行号';
comment on column staging.scale_and_cost.unit is '填报单位：报送文件夹所属单位的全称（ops.submissions.unit）';
comment on column staging.scale_and_cost.project_code is '项目编码：接收时由项目名称按项目基本信息表解析（同名项目以报送单位自己实施的为准）';
comment on column staging.scale_and_cost.project_name is '「项目名称」，按报送时的写法；项目最新登记的名称见intermediate.project_years';
comment on column staging.scale_and_cost.year is '报表年度';
comment on column staging.scale_and_cost.category is '「类别」：建设规模 或 投资构成';
comment on column staging.scale_and_cost.item is '「内容」：规模或投资项目的名称，“其中：”前缀已去掉（所属上一行见parent_item）';
comment on column staging.scale_and_cost.parent_item is '“其中”行所属的上一行内容；顶层行为空';
comment on column staging.scale_and_cost.quantity is '「数量」';
comment on column staging.scale_and_cost.quantity_unit is '「单位」：数量的计量单位（如平方米、户、万元）';
