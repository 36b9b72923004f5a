-- mart.shared_slices: one row per template, project (project_code), year and month (monthly templates) for
-- which files of more than one office are in force, one of them flagged `beside_other_unit` at intake. The
-- marts add the offices' rows up, so a figure from that template may count the same money twice; the report's
-- 数据质量提示 names each such project and the offices the warnings were about: the flagged file's and those it
-- named (ops.validation_issues.named_submissions), not another office that shares the slice unasked (an office
-- of another place whose compound list is a part of the project beside a short- and full-named pair). Only files in
-- force count (ops.current_slices): a withdrawn or corrected file's warning is not printed, nor one whose other
-- office's file has since been withdrawn.
create or replace table mart.shared_slices as
with in_force as (
    select slices.submission_id, slices.template, slices.unit, slices.project_code, slices.project_name,
        slices.year, slices.month
    from ops.current_slices as current
    inner join ops.slices as slices using (submission_id, slice_key)
),

-- The intake's warnings, each on the template of the sheet it was found on, with the offices of the files it named
-- (null for a warning stored before it named them: it is then about every office of the slice).
warnings as (
    select issues.submission_id, sheets.template, issues.sheet, issues.excel_row, issues.value,
        (
            select list(distinct named.unit) from ops.submissions as named
            where list_contains(issues.named_submissions, named.submission_id)
        ) as named_units
    from ops.validation_issues as issues
    inner join ops.sheets as sheets using (submission_id, sheet)
    where issues.rule = 'beside_other_unit'
),

-- Each warning of a file in force, on the period it concerns (its written project name), with the offices it is
-- about: its file's and those it named.
flagged as (
    select distinct in_force.template, in_force.project_code, in_force.year, in_force.month,
        warnings.submission_id, warnings.sheet, warnings.excel_row,
        list_prepend(in_force.unit, warnings.named_units) as about
    from in_force
    inner join warnings
        on warnings.submission_id = in_force.submission_id and warnings.template = in_force.template
        and warnings.value is not distinct from in_force.project_name
),

-- The offices in force on each flagged period that its warnings are about, with their files: more than one, or
-- nothing is counted twice any more (the named office's file withdrawn, another office's still beside).
shared as (
    select in_force.template, in_force.project_code, in_force.year, in_force.month,
        list_sort(list(distinct in_force.unit)) as units,
        list_sort(list(distinct in_force.submission_id)) as submission_ids
    from in_force
    inner join flagged
        on flagged.template = in_force.template and flagged.project_code = in_force.project_code
        and flagged.year = in_force.year and flagged.month is not distinct from in_force.month
        and (flagged.about is null or list_contains(flagged.about, in_force.unit))
    group by all
    having count(distinct in_force.unit) > 1
),

projects as (
    select project_code, year, project_name from intermediate.project_years
),

final as (
    select
        shared.template,
        shared.project_code,
        projects.project_name,
        shared.year,
        shared.month,
        shared.units,
        shared.submission_ids,
        list_sort(list(struct_pack(submission_id := flagged.submission_id, sheet := flagged.sheet,
            excel_row := flagged.excel_row))) as lineage
    from shared
    -- month is null for a template not sliced by month: matched as equal, not by `using`. A warning whose other
    -- offices are all gone from the period cites nothing.
    inner join flagged
        on flagged.template = shared.template and flagged.project_code = shared.project_code
        and flagged.year = shared.year and flagged.month is not distinct from shared.month
        and (flagged.about is null or len(list_intersect(flagged.about, shared.units)) > 1)
    left join projects on projects.project_code = shared.project_code and projects.year = shared.year
    group by all
    order by shared.year, projects.project_name, shared.project_code, shared.template, shared.month
)

select * from final;

comment on table mart.shared_slices is '多单位同期报送：同一模板、项目、年度[、月份]有多个单位的文件同时有效且接收时已提示（beside_other_unit）的每个切片一行；各单位的数据合计计入，报告的数据质量提示逐一列出提示所涉的单位';
comment on column mart.shared_slices.template is '报表模板编号（registry/sources/<模板>.yaml）';
comment on column mart.shared_slices.project_code is '项目编码（按项目编码汇总；未填编码的项目为“自编:实施单位/项目名称”）';
comment on column mart.shared_slices.project_name is '项目名称：项目基本信息表中最新登记的名称';
comment on column mart.shared_slices.year is '报表年度';
comment on column mart.shared_slices.month is '月份（按月切片的模板）；其他模板为空';
comment on column mart.shared_slices.units is '提示所涉且文件同时有效的各报送单位全称（被提示文件的单位及提示中点名的单位；同一切片中未被提示所涉的其他单位不列），按名称排序';
comment on column mart.shared_slices.submission_ids is 'units中各单位当前有效的提交编号（ops.submissions）';
comment on column mart.shared_slices.lineage is '接收时提示“另有单位报送同一项目同一期间的数据”的单元格：提交编号、工作表和Excel行号';
