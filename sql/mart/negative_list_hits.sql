-- mart.negative_list_hits: one row per payment whose 支出用途 names an item of that year's negative list, alone or
-- within longer words (width, spaces, line breaks and a trailing note in brackets folded); project_name is the
-- project's latest registered name.
create or replace table mart.negative_list_hits as
with payments as (
    -- 支出用途 folded as the suite holds it against the list (text.item_key): `发放 津贴补贴（春节慰问）` is 发放津贴补贴.
    select *, item_key(expense_purpose) as purpose_key from staging.fund_ledger where entry_type = '支付'
),

negative_list as (
    select distinct year, item_key(expense_purpose) as purpose_key from config.negative_list
),

projects as (
    select project_code, year, project_name from intermediate.project_years
),

final as (
    select
        payments.project_code,
        projects.project_name,
        payments.year,
        payments.month,
        payments.date,
        payments.fund_source,
        payments.amount_wan,
        payments.expense_purpose,
        payments.document_no,
        payments.summary,
        payments.unit,
        payments.submission_id,
        submissions.original_name,
        payments.sheet,
        payments.excel_row
    from payments
    left join projects using (project_code, year)
    left join ops.submissions as submissions using (submission_id)
    -- Anywhere in the 支出用途: `用于偿还债务` and `工程款；偿还债务` were left out of the count by an exact join.
    -- Once per payment, whatever the number of items its 支出用途 names.
    where exists (
        select 1 from negative_list
        where negative_list.year = payments.year and contains(payments.purpose_key, negative_list.purpose_key)
    )
    order by projects.project_name, payments.project_code, payments.year, payments.date, payments.excel_row
)

select * from final;

comment on table mart.negative_list_hits is '负面清单事项：支出用途为或含有《财政补助资金使用负面清单》所列事项的每笔支付一行';
comment on column mart.negative_list_hits.project_code is '项目编码（按项目编码汇总；未填编码的项目为“自编:实施单位/项目名称”）';
comment on column mart.negative_list_hits.project_name is '项目名称：项目基本信息表中最新登记的名称';
comment on column mart.negative_list_hits.year is '年度';
comment on column mart.negative_list_hits.month is '支付月份（1–12）';
comment on column mart.negative_list_hits.date is '支付日期';
comment on column mart.negative_list_hits.fund_source is '资金来源';
comment on column mart.negative_list_hits.amount_wan is '支付金额（万元）';
comment on column mart.negative_list_hits.expense_purpose is '支出用途（按填写原文；含有负面清单事项）';
comment on column mart.negative_list_hits.document_no is '文号/凭证号';
comment on column mart.negative_list_hits.summary is '摘要';
comment on column mart.negative_list_hits.unit is '报送单位';
comment on column mart.negative_list_hits.submission_id is '来源提交编号（ops.submissions）';
comment on column mart.negative_list_hits.original_name is '来源文件名';
comment on column mart.negative_list_hits.sheet is '来源工作表';
comment on column mart.negative_list_hits.excel_row is '来源Excel行号';
