-- staging.fund_ledger: one row per fund receipt (到位) or payment (支付) in a project's ledger for a year.
-- Only rows of the latest accepted submission of each slice; earlier versions stay in raw.fund_ledger.
create or replace view staging.fund_ledger as
with source as (
    select * from raw.fund_ledger
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
        month(source.date) as month,
        source.date,
        source.fund_source,
        source.entry_type,
        source.amount_wan,
        source.document_no,
        source.expense_purpose,
        source.summary
    from source
    inner join current_slices using (submission_id, slice_key)
    -- Rows stored before project codes whose name matched several projects stay in raw only.
    where source.project_code is not null
)

select * from final;

comment on view staging.fund_ledger is '项目资金到位及支付台账：每笔资金到位或支付一行，仅当前有效的提交';
comment on column staging.fund_ledger.submission_id is '提交编号（ops.submissions）：该行所属切片当前有效的提交';
comment on column staging.fund_ledger.sheet is '工作表名称';
comment on column staging.fund_ledger.excel_row is 'Excel中显示的行号';
comment on column staging.fund_ledger.unit is '填报单位：报送文件夹所属单位的全称（ops.submissions.unit）';
comment on column staging.fund_ledger.project_code is '项目编码：接收时由项目名称按项目基本信息表解析（同名项目以报送单位自己实施的为准）';
comment on column staging.fund_ledger.project_name is '「项目名称」，按报送时的写法；项目最新登记的名称见intermediate.project_years';
comment on column staging.fund_ledger.year is '报表年度';
comment on column staging.fund_ledger.month is '月份：由「日期」得出（1–12）';
comment on column staging.fund_ledger.date is '「日期」：资金到位或支付的日期';
comment on column staging.fund_ledger.fund_source is '「资金来源」，如中央补助资金、中央预算内投资（发改资金）、区级配套资金';
comment on column staging.fund_ledger.entry_type is '「类型」：到位（收到资金）或 支付（对外支付）';
comment on column staging.fund_ledger.amount_wan is '「金额」（万元）';
comment on column staging.fund_ledger.document_no is '「文号/凭证号」';
comment on column staging.fund_ledger.expense_purpose is '「支出用途」；与当年负面清单比对（mart.negative_list_hits）';
comment on column staging.fund_ledger.summary is '「摘要」';
