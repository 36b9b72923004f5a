-- mart.funds_by_source: one row per project (project_code), year and fund source: funds received (到位) and
-- paid (支付). project_name is the project's latest registered name.
create or replace table mart.funds_by_source as
with ledger as (
    select * from staging.fund_ledger
),

projects as (
    select project_code, year, project_name from intermediate.project_years
),

final as (
    select
        ledger.project_code,
        projects.project_name,
        ledger.year,
        ledger.fund_source,
        coalesce(sum(ledger.amount_wan) filter (where ledger.entry_type = '到位'), 0) as received_wan,
        coalesce(sum(ledger.amount_wan) filter (where ledger.entry_type = '支付'), 0) as paid_wan,
        coalesce(max(intermediate.decimals_of(ledger.amount_wan)) filter (where ledger.entry_type = '到位'), 0)
            as received_decimals,
        coalesce(max(intermediate.decimals_of(ledger.amount_wan)) filter (where ledger.entry_type = '支付'), 0)
            as paid_decimals,
        list(struct_pack(submission_id := ledger.submission_id, sheet := ledger.sheet,
            excel_row := ledger.excel_row) order by ledger.submission_id, ledger.sheet, ledger.excel_row) as lineage,
        coalesce(list(struct_pack(submission_id := ledger.submission_id, sheet := ledger.sheet,
            excel_row := ledger.excel_row) order by ledger.submission_id, ledger.sheet, ledger.excel_row)
            filter (where ledger.entry_type = '到位'), []) as received_lineage,
        coalesce(list(struct_pack(submission_id := ledger.submission_id, sheet := ledger.sheet,
            excel_row := ledger.excel_row) order by ledger.submission_id, ledger.sheet, ledger.excel_row)
            filter (where ledger.entry_type = '支付'), []) as paid_lineage
    from ledger
    left join projects using (project_code, year)
    group by all
    order by projects.project_name, ledger.project_code, ledger.year, ledger.fund_source
)

select * from final;

comment on table mart.funds_by_source is '资金到位及支付：每个项目、年度、资金来源一行（万元）';
comment on column mart.funds_by_source.project_code is '项目编码（按项目编码汇总；未填编码的项目为“自编:实施单位/项目名称”）';
comment on column mart.funds_by_source.project_name is '项目名称：项目基本信息表中最新登记的名称';
comment on column mart.funds_by_source.year is '年度';
comment on column mart.funds_by_source.fund_source is '资金来源（规范名称，如 中央补助资金、中央预算内投资）';
comment on column mart.funds_by_source.received_wan is '到位资金（万元）';
comment on column mart.funds_by_source.paid_wan is '支付资金（万元）';
comment on column mart.funds_by_source.received_decimals is '到位金额（万元）各笔的最多小数位数，用于按原表精度显示';
comment on column mart.funds_by_source.paid_decimals is '支付金额（万元）各笔的最多小数位数，用于按原表精度显示';
comment on column mart.funds_by_source.lineage is '来源：提交编号、工作表、Excel行号（到位与支付各行）';
comment on column mart.funds_by_source.received_lineage is '到位金额的来源行';
comment on column mart.funds_by_source.paid_lineage is '支付金额的来源行';
