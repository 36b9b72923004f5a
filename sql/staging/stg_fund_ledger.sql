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
