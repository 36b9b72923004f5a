-- mart.open_warnings: one row per project (project_code), year, template and rule for the intake's warnings that
-- leave a figure of the report possibly wrong (config.figure_warnings) and are still open: raised on a file whose
-- rows are in force, and not retold as no longer applying (ops.open_issues: every file it names is out of force).
-- The report's 数据质量提示 names each. A warning is on the project and year of the rows it concerns: the row it
-- names; where it names no data row (a form's 总分 or 资金 row, a sheet as a whole, its year, its file: each sheet read
-- of it), the rows of its sheet with the project name it gives; else, for a warning that earlier rows drop out (a
-- list replaced, stored before it gave its project's name), the rows of the slices its file took over from an earlier
-- file; else every row of its sheet.
-- A withdrawn or superseded file's rows are not in staging, so its warnings drop out. `left_in_force` is on the
-- projects it names instead: those the warned file left out, still held by an earlier file while the warned file
-- is in force.
create or replace table mart.open_warnings as
with rules as (
    select rule, family, rule_zh from config.figure_warnings
),

issues as (
    select
        issues.submission_id,
        sheets.sheet,
        sheets.template,
        -- A warning of a sheet's year, or of its file, is on all of its rows, whichever row it names.
        if(rules.family in ('year', 'file'), null, issues.excel_row) as excel_row,
        issues.column_header,
        issues.value,
        issues.rule,
        rules.family,
        rules.rule_zh,
        -- A warning of a sheet as a whole is cited at its header.
        coalesce(issues.excel_row, sheets.header_first_row) as cited_row
    from ops.open_issues as issues  -- a warning retold as no longer applying (stale_note) is not open
    inner join rules using (rule)
    -- A warning of the file (a twin, a modified time, a hidden sheet not read) is on each sheet read of it.
    inner join ops.sheets as sheets
        on sheets.submission_id = issues.submission_id
        and (sheets.sheet = issues.sheet or rules.family = 'file')
    where issues.severity = 'warning'
),

-- Every data row in force, of every template: staging holds only the rows of the files in force.
rows_in_force as (
    -- Every staging view's rows (pipeline.indicators.register_rows_in_force, from the catalog).
    select * from intermediate.rows_in_force()
),

-- The slices a warned file took over from an earlier file: what a list it replaced can be of.
took_over as (
    select distinct mine.submission_id, mine.project_code, mine.year
    from ops.slices as mine
    inner join ops.slices as earlier
        on earlier.slice_key = mine.slice_key and earlier.submission_id < mine.submission_id
    where mine.submission_id in (select submission_id from issues where family = 'replaced')
),

sheet_rows as (
    select distinct rows.submission_id, rows.sheet, rows.excel_row, rows.project_code, rows.project_name,
        rows.year, took_over.submission_id is not null as took_over
    from rows_in_force as rows
    inner join (select distinct submission_id, sheet from issues) as warned using (submission_id, sheet)
    left join took_over using (submission_id, project_code, year)
),

-- The project and year of each row a warning names.
on_row as (
    select distinct issues.*, rows.project_code, rows.year
    from issues
    inner join sheet_rows as rows using (submission_id, sheet, excel_row)
    where issues.family <> 'left_in_force'
),

-- A warning naming no data row: the sheet's rows of the project it names; else, of a warning that earlier rows
-- drop out, those of the slices its file took over; else all of its sheet's.
off_row as (
    select issues.*, rows.project_code, rows.year
    from issues
    inner join sheet_rows as rows using (submission_id, sheet)
    where issues.family <> 'left_in_force'
        and not exists (
            select 1 from sheet_rows as named
            where named.submission_id = issues.submission_id and named.sheet = issues.sheet
                and named.excel_row = issues.excel_row
        )
        and case
            when exists (
                select 1 from sheet_rows as named
                where named.submission_id = issues.submission_id and named.sheet = issues.sheet
                    and named.project_name = issues.value
            ) then rows.project_name = issues.value
            when issues.family = 'replaced' and exists (
                select 1 from sheet_rows as named
                where named.submission_id = issues.submission_id and named.sheet = issues.sheet and named.took_over
            ) then rows.took_over
            else true
        end
),

in_force as (
    select slices.submission_id, slices.template, slices.unit, slices.project_code, slices.project_name,
        slices.year
    from ops.current_slices as current
    inner join ops.slices as slices using (submission_id, slice_key)
),

-- A project a resent form left out: its slice of the form's office and year still held by an earlier file,
-- while the resent file holds some slice of its own.
left_kept as (
    select distinct issues.*, kept.project_code, kept.year, kept.submission_id as kept_submission_id
    from issues
    inner join in_force as mine
        on mine.submission_id = issues.submission_id and mine.template = issues.template
    inner join in_force as kept
        on kept.template = mine.template and kept.unit = mine.unit and kept.year = mine.year
        and kept.submission_id < issues.submission_id
        and list_contains(string_split(issues.value, '、'), kept.project_name)
    where issues.family = 'left_in_force'
),

left_out as (
    select * exclude (kept_submission_id) from left_kept
),

attributed as (
    select * from on_row
    union all
    select distinct * from off_row
    union all
    select * from left_out
),

projects as (
    select project_code, year, project_name from intermediate.project_years
),

-- What a note cites: the cells warned and, for a project left out, the earlier file's rows of the form that
-- still count (the data the note says stands), not only the resent file's header.
cited as (
    select project_code, year, template, rule, submission_id, sheet, cited_row as excel_row
    from attributed
    union
    select kept.project_code, kept.year, kept.template, kept.rule, rows.submission_id, rows.sheet, rows.excel_row
    from left_kept as kept
    inner join rows_in_force as rows
        on rows.submission_id = kept.kept_submission_id and rows.project_code = kept.project_code
        and rows.year = kept.year
    inner join ops.sheets as sheets
        on sheets.submission_id = rows.submission_id and sheets.sheet = rows.sheet
        and sheets.template = kept.template
),

lineages as (
    select project_code, year, template, rule,
        list_sort(list(distinct struct_pack(submission_id := submission_id, sheet := sheet,
            excel_row := excel_row))) as lineage
    from cited
    group by all
),

final as (
    select
        attributed.project_code,
        projects.project_name,
        attributed.year,
        attributed.template,
        attributed.rule,
        attributed.family,
        attributed.rule_zh,
        -- Each cell warned is one place (two cells of a row writing the same `5人次` were counted once, two writing
        -- others twice); the warnings of a header's columns, quoting no cell, are one, on its row.
        count(distinct (attributed.submission_id, attributed.sheet, attributed.cited_row,
            if(attributed.value is null, null, attributed.column_header), attributed.value)) as warnings,
        any_value(lineages.lineage) as lineage
    from attributed
    left join projects on projects.project_code = attributed.project_code and projects.year = attributed.year
    left join lineages
        on lineages.project_code is not distinct from attributed.project_code
        and lineages.year is not distinct from attributed.year
        and lineages.template = attributed.template and lineages.rule = attributed.rule
    group by all
    order by attributed.year, projects.project_name, attributed.project_code, attributed.template,
        attributed.rule
)

select * from final;

comment on table mart.open_warnings is '仍未解决的可能使报告数字有误的接收警告（config.figure_warnings）：每个项目、年度、模板、规则一行，只计当前有效的文件；报告的数据质量提示逐项列出';
comment on column mart.open_warnings.project_code is '项目编码（按项目编码汇总；未填编码的项目为“自编:实施单位/项目名称”）';
comment on column mart.open_warnings.project_name is '项目名称：项目基本信息表中最新登记的名称';
comment on column mart.open_warnings.year is '报表年度';
comment on column mart.open_warnings.template is '报表模板编号（registry/sources/<模板>.yaml）';
comment on column mart.open_warnings.rule is '规则编号（ops.validation_issues.rule）';
comment on column mart.open_warnings.family is '提示的类别（config.figure_warnings.family）';
comment on column mart.open_warnings.rule_zh is '规则的中文名称';
comment on column mart.open_warnings.warnings is '仍有效的警告处数（同一文件同一工作表：引用单元格内容的每个单元格算一处，表头各列或整张表的同一行算一处）';
comment on column mart.open_warnings.lineage is '警告所在的单元格：提交编号、工作表和Excel行号（针对整张表的警告为表头首行）；重报未列的项目另含原文件中仍计入的各行';
