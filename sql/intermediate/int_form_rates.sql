-- intermediate.form_rates: one row per project (project_code) and year whose national 自评表's 执行率 is off its own
-- 全年执行数 ÷ 全年预算数 (`rate_mismatch`, still open) where no ledger gives the rate: mart.self_evaluation scores
-- that quotient, and the 数据质量提示 prints it beside the written rate. With a ledger neither is used.
create or replace table intermediate.form_rates as
with forms as (
    select project_code, year, any_value(budget_executed_wan) as executed,
        any_value(budget_annual_wan) as annual,
        list_sort(list(struct_pack(submission_id := submission_id, sheet := sheet, excel_row := excel_row)))
            as table_rows
    from staging.performance_targets
    where budget_execution_rate is not null
    group by all
),

final as (
    select forms.project_code, forms.year, intermediate.ratio(forms.executed, forms.annual) as rate,
        coalesce(
            list_sort(flatten(list(cells.lineage) filter (where cells.lineage is not null))),
            any_value(forms.table_rows)
        ) as lineage
    from forms
    left join intermediate.project_measures as ledger
        on ledger.project_code = forms.project_code and ledger.year = forms.year
        and ledger.measure = 'payment_rate' and ledger.value is not null
    inner join mart.open_warnings as warned
        on warned.project_code = forms.project_code and warned.year = forms.year
        and warned.template = 'performance_targets' and warned.rule = 'rate_mismatch'
    left join intermediate.form_cells as cells
        on cells.project_code = forms.project_code and cells.year = forms.year
        and cells.field_name in ('budget_executed_wan', 'budget_annual_wan')
    where ledger.project_code is null
    group by forms.project_code, forms.year, forms.executed, forms.annual
)

select * from final;

comment on table intermediate.form_rates is '自评表按执行数计算的执行率：自评表所填执行率与其全年执行数÷全年预算数不符（rate_mismatch，未解决）且无资金台账时，每个项目、年度一行';
comment on column intermediate.form_rates.project_code is '项目编码（未填编码的项目为“自编:实施单位/项目名称”）';
comment on column intermediate.form_rates.year is '年度';
comment on column intermediate.form_rates.rate is '全年执行数÷全年预算数（比例，精确除法）；无法计算为空';
comment on column intermediate.form_rates.lineage is '来源：全年执行数、全年预算数所在单元格，无单元格记录时为自评表各行';
