-- ops: what was received, what happened to it, and where every loaded row came from.
create schema if not exists ops;
create schema if not exists raw;
create schema if not exists staging;

create sequence if not exists ops.submission_ids start 1;

create table if not exists ops.submissions (
    submission_id  integer primary key,
    sha256         varchar not null,
    original_name  varchar not null,
    inbox_path     varchar not null,
    unit           varchar,
    templates      varchar[],
    year           integer,
    received_at    timestamptz not null,
    status         varchar not null check (status in ('accepted', 'rejected', 'duplicate', 'superseded', 'withdrawn')),
    error_count    integer not null,
    warning_count  integer not null,
    receipt_path   varchar,
    receipt_status varchar,
    archive_path   varchar not null,
    reason         varchar,
    duplicate_of   integer
);
comment on table ops.submissions is '每个收到的文件一行（one row per received file）';
comment on column ops.submissions.submission_id is '提交编号，按接收顺序递增；同一切片以编号大者为准';
comment on column ops.submissions.sha256 is '文件内容的SHA-256指纹，也是归档文件名';
comment on column ops.submissions.original_name is '报送时的原始文件名';
comment on column ops.submissions.inbox_path is '文件在收件箱中的相对路径';
comment on column ops.submissions.unit is '填报单位：报送文件夹所属单位的全称；代报或共享文件夹时为“填报单位：”一行所写单位的全称（registry/offices.yaml）';
comment on column ops.submissions.templates is '文件中识别出的报表模板编号';
comment on column ops.submissions.year is '报表年度：一个文件的各行只能属于一个年度；各工作表分别写明不同年度时取最大的一个；因行跨越多个年度而退回的文件为空';
comment on column ops.submissions.received_at is '接收时间（Asia/Shanghai）';
comment on column ops.submissions.status is 'accepted 已接收 · rejected 已退回 · duplicate 重复提交 · superseded 已被更正版本替代 · withdrawn 已撤回（见ops.withdrawals）';
comment on column ops.submissions.error_count is '错误数；有错误的文件整体退回';
comment on column ops.submissions.warning_count is '仍然适用的警告数（不含所涉提交均已撤回或被更正的警告，见ops.validation_issues.stale_note）；有警告的文件照常入库';
comment on column ops.submissions.receipt_path is '回执文件路径（HTML；同名.json为同样内容）';
comment on column ops.submissions.receipt_status is '回执所反映的状态；与status不同时下次运行重写回执';
comment on column ops.submissions.archive_path is '归档副本的相对路径（按SHA-256命名）';
comment on column ops.submissions.reason is '退回或重复的简要原因';
comment on column ops.submissions.duplicate_of is '重复提交时，与之字节相同的首次提交编号';
-- Data roots made before these columns existed gain them here; every statement is safe to repeat.
alter table ops.submissions add column if not exists raw_path blob;
alter table ops.submissions add column if not exists receipt_error varchar;
alter table ops.submissions add column if not exists sending_folder varchar;
comment on column ops.submissions.sending_folder is '文件所在的收件箱子文件夹（报送者）；回执写入receipts/<该文件夹>/；放在收件箱根目录时为空';
alter table ops.submissions alter column sha256 drop not null;
alter table ops.submissions alter column archive_path drop not null;
comment on column ops.submissions.sha256 is '文件内容的SHA-256指纹，也是归档文件名；文件无法读取（没有权限）时为空';
comment on column ops.submissions.archive_path is '归档副本的相对路径（按SHA-256命名）；文件无法读取时为空';
comment on column ops.submissions.original_name is '报送时的原始文件名（不是UTF-8的文件名按GB18030解码，否则以\xNN转义）';
comment on column ops.submissions.raw_path is '文件名不是UTF-8时，收件箱相对路径的原始字节；否则为空';
alter table ops.submissions add column if not exists read_on date;
comment on column ops.submissions.read_on is '读取日期（Asia/Shanghai）：判断月报哪些月份已结束所依据的日期，即读取该文件的那次夜间运行开始之日；从归档重新读取时沿用此日期。未读取的文件和此列增加前的提交为空';
comment on column ops.submissions.receipt_error is '回执未能写出的原因；写出后清空。回执状态与status不同即为待重写';

create table if not exists ops.validation_issues (
    submission_id  integer not null,
    sheet          varchar,
    excel_row      integer,
    column_header  varchar,
    value          varchar,
    severity       varchar not null check (severity in ('error', 'warning')),
    rule           varchar not null,
    message_zh     varchar not null,
    expected       varchar,
    fix            varchar
);
comment on table ops.validation_issues is '每个发现的问题一行（one row per problem found）';
comment on column ops.validation_issues.submission_id is '所属提交编号';
comment on column ops.validation_issues.sheet is '工作表名称';
comment on column ops.validation_issues.excel_row is 'Excel中显示的行号';
comment on column ops.validation_issues.column_header is '原样的列标题';
comment on column ops.validation_issues.value is '单元格中填写的值';
comment on column ops.validation_issues.severity is 'error 错误（整个文件退回）或 warning 警告（照常入库）';
comment on column ops.validation_issues.rule is '规则编号';
comment on column ops.validation_issues.message_zh is '给填报人的中文说明';
comment on column ops.validation_issues.expected is '应当填写的内容';
comment on column ops.validation_issues.fix is '修改方法';
-- A warning naming other submissions is retold once none of them is in force (pipeline/intake/retell.py).
alter table ops.validation_issues add column if not exists named_submissions integer[];
alter table ops.validation_issues add column if not exists stale_note varchar;
comment on column ops.validation_issues.named_submissions is '提示所涉的其他提交编号（如“与第N号提交相同”“请撤回第N号提交”所指的提交）；不涉及其他提交时为空';
comment on column ops.validation_issues.stale_note is '所涉提交均已撤回或被更正时的说明（回执中附在原说明之后）；非空即此提示不再适用，不计入待处理的警告；所涉提交恢复有效时清空';

create or replace view ops.open_issues as
select * from ops.validation_issues
-- A warning whose submissions are all out of force no longer asks anything of the clerk.
where stale_note is null;
comment on view ops.open_issues is '仍然适用的问题：ops.validation_issues中除去所涉提交均已撤回或被更正的警告；统计待处理的警告请用此视图';
comment on column ops.open_issues.submission_id is '所属提交编号';
comment on column ops.open_issues.sheet is '工作表名称';
comment on column ops.open_issues.excel_row is 'Excel中显示的行号';
comment on column ops.open_issues.column_header is '原样的列标题';
comment on column ops.open_issues.value is '单元格中填写的值';
comment on column ops.open_issues.severity is 'error 错误（整个文件退回）或 warning 警告（照常入库）';
comment on column ops.open_issues.rule is '规则编号';
comment on column ops.open_issues.message_zh is '给填报人的中文说明（接收时的原文）';
comment on column ops.open_issues.expected is '应当填写的内容';
comment on column ops.open_issues.fix is '修改方法';
comment on column ops.open_issues.named_submissions is '提示所涉的其他提交编号；不涉及其他提交时为空';
comment on column ops.open_issues.stale_note is '此视图中恒为空（仍然适用）';

create table if not exists ops.sheets (
    submission_id     integer not null,
    sheet             varchar not null,
    template          varchar not null,
    header_first_row  integer not null,
    header_last_row   integer not null,
    data_rows         integer not null
);
comment on table ops.sheets is '每个已入库工作表一行：对应的模板与表头位置';
comment on column ops.sheets.submission_id is '所属提交编号（ops.submissions）';
comment on column ops.sheets.sheet is '工作表名称';
comment on column ops.sheets.template is '按表头识别出的报表模板编号（registry/sources/<模板>.yaml）';
comment on column ops.sheets.header_first_row is '表头首行（Excel行号）';
comment on column ops.sheets.header_last_row is '表头末行（Excel行号；两行表头时大于首行）';
comment on column ops.sheets.data_rows is '入库的数据行数（不含合计、空行、表尾）';

create table if not exists ops.sheet_columns (
    submission_id  integer not null,
    sheet          varchar not null,
    column_name    varchar not null,
    column_header  varchar not null,
    excel_column   varchar not null,
    written_unit   varchar
);
comment on table ops.sheet_columns is '每个工作表的每个识别出的列一行：原样列标题与所在Excel列，用于追溯到单元格';
comment on column ops.sheet_columns.submission_id is '所属提交编号（ops.submissions）';
comment on column ops.sheet_columns.sheet is '工作表名称';
comment on column ops.sheet_columns.column_name is '仓库中的列名';
comment on column ops.sheet_columns.column_header is '原样的列标题';
comment on column ops.sheet_columns.excel_column is 'Excel列字母';
comment on column ops.sheet_columns.written_unit is '表头括号中注明的单位';

create table if not exists ops.sheet_fields (
    submission_id  integer not null,
    sheet          varchar not null,
    field_name     varchar not null,
    field_header   varchar not null,
    excel_row      integer not null,
    excel_column   varchar not null
);
comment on table ops.sheet_fields is '全国通用表单在表格上方填写的每个字段一行（项目资金块、总分行等）：该值所在的单元格，用于追溯到单元格；各数据行都带有该值。资金总额行未填、金额由其下“其中”等分项行相加得出时，每个相加的单元格各一行';
comment on column ops.sheet_fields.submission_id is '所属提交编号（ops.submissions）';
comment on column ops.sheet_fields.sheet is '工作表名称';
comment on column ops.sheet_fields.field_name is '仓库中的列名（raw、staging各行都带有该字段的值）';
comment on column ops.sheet_fields.field_header is '原样的栏目名称，块中的字段带行名，如“年度资金总额·执行率”';
comment on column ops.sheet_fields.excel_row is '该值所在的Excel行号（由分项行相加的金额为该分项行）';
comment on column ops.sheet_fields.excel_column is '该值所在的Excel列字母';

create table if not exists ops.slices (
    submission_id  integer not null,
    template       varchar not null,
    slice_key      varchar not null,
    unit           varchar not null,
    project_name   varchar,
    year           integer not null,
    month          integer,
    row_count      integer not null
);
comment on table ops.slices is '每个已接收提交的每个切片（单位、模板、项目、年度[、月份]）一行';
comment on column ops.slices.submission_id is '所属提交编号（ops.submissions）';
comment on column ops.slices.template is '报表模板编号';
comment on column ops.slices.unit is '填报单位的全称';
comment on column ops.slices.year is '报表年度';
comment on column ops.slices.month is '月份（按月切片的模板，如投资完成情况月报）；其他模板为空';
comment on column ops.slices.row_count is '该切片在此提交中的数据行数';
comment on column ops.slices.slice_key is '切片键（模板|单位|项目编码|年度[|月份]）；同一切片以最新接收的提交为准';
alter table ops.slices add column if not exists project_code varchar;
comment on column ops.slices.project_code is '项目编码：接收时由项目名称按项目基本信息表解析（项目基本信息表本身为所登记的编码）；切片按编码区分，两个单位的同名项目是两个切片';
comment on column ops.slices.project_name is '项目名称（按报送时的写法）';

create table if not exists ops.template_slices (
    template      varchar primary key,
    slice_fields  varchar not null
);
comment on table ops.template_slices is '每个报表模板的切片字段（登记表的 slice），每个模板一行；已有按旧字段切片的有效文件时，不接受切片字段的改动';
comment on column ops.template_slices.template is '报表模板编号';
comment on column ops.template_slices.slice_fields is '切片字段，按顺序以逗号分隔（unit、project、year、month）';

-- A returned file's slices: the report tells a form sent but returned from one never sent.
create table if not exists ops.returned_slices (
    submission_id  integer not null,
    template       varchar not null,
    unit           varchar,
    project_code   varchar,
    project_name   varchar,
    year           integer not null,
    month          integer
);
comment on table ops.returned_slices is '每个被退回提交的各行所属切片一行（单位、模板、项目、年度[、月份]），只记录不入库；报告据此区分“已报送但被退回”与“未报送”';
comment on column ops.returned_slices.submission_id is '被退回的提交编号（ops.submissions）';
comment on column ops.returned_slices.template is '报表模板编号';
comment on column ops.returned_slices.unit is '填报单位的全称；无法确定时为空';
comment on column ops.returned_slices.project_code is '项目编码：按项目基本信息表解析的结果；无法解析时为空';
comment on column ops.returned_slices.project_name is '项目名称（按报送时的写法）';
comment on column ops.returned_slices.year is '报表年度；无法确定年度的行不记录';
comment on column ops.returned_slices.month is '月份（按月切片的模板）；其他模板为空';

create table if not exists ops.inbox_files (
    inbox_path     varchar primary key,
    size           bigint not null,
    mtime_ns       bigint not null,
    sha256         varchar not null,
    submission_id  integer not null
);
comment on table ops.inbox_files is '收件箱中已处理过的文件，用于判断是否有新文件';
alter table ops.inbox_files add column if not exists raw_path blob;
alter table ops.inbox_files alter column sha256 drop not null;
comment on column ops.inbox_files.inbox_path is '文件在收件箱中的相对路径（文本；原始字节见raw_path）';
comment on column ops.inbox_files.size is '上次读取时的文件大小（字节）';
comment on column ops.inbox_files.mtime_ns is '上次读取时的修改时间（纳秒）';
comment on column ops.inbox_files.sha256 is '上次读取时的SHA-256；没有读取权限时为空，能读取后重新接收';
comment on column ops.inbox_files.submission_id is '对应的提交编号';
comment on column ops.inbox_files.raw_path is '文件名不是UTF-8时的原始字节；否则为空';
alter table ops.inbox_files add column if not exists marker varchar;
comment on column ops.inbox_files.marker is '上次读取时对象存储给出的变更标记（ETag，不含引号）；本地文件为空，以大小和修改时间判断是否变更';

-- The slices in force once the submissions numbered up to `upto` were taken in: what the warehouse held before a
-- later run, which a run killed part way through needs for its 累计 to be checked again (intake.recheck).
create or replace macro ops.slices_in_force(upto) as table
select slice_key, max(submission_id) as submission_id
from ops.slices
-- A withdrawn file no longer counts: its slices fall back to the latest earlier accepted file.
where submission_id not in (select submission_id from ops.submissions where status = 'withdrawn')
and submission_id <= upto
group by slice_key;
comment on macro table ops.slices_in_force is '编号不大于upto的提交接收后各切片有效的提交（ops.current_slices即全部提交之后的）';

create or replace view ops.current_slices as
select slice_key, submission_id from ops.slices_in_force(2147483647);
comment on view ops.current_slices is '每个切片当前有效的提交（未撤回者中最新接收的）';
comment on column ops.current_slices.slice_key is '切片键（ops.slices.slice_key）';
comment on column ops.current_slices.submission_id is '该切片当前有效的提交编号：未撤回的提交中编号最大者';

create table if not exists ops.runs (
    finished_at    timestamptz not null,
    new_files      integer not null,
    accepted       integer not null,
    rejected       integer not null,
    duplicate      integer not null,
    unchanged      integer not null
);
comment on table ops.runs is '每次接收（nightly_ingest 或 pipeline ingest/run）一行，没有新文件的也记录';
comment on column ops.runs.finished_at is '本次接收完成的时间';
comment on column ops.runs.new_files is '本次发现的新文件数';
comment on column ops.runs.unchanged is '收件箱中未变化、未重新读取的文件数';
alter table ops.runs add column if not exists skipped integer;
comment on column ops.runs.accepted is '本次接收的文件数';
comment on column ops.runs.rejected is '本次退回的文件数';
comment on column ops.runs.duplicate is '本次重复提交的文件数';
comment on column ops.runs.skipped is '本次未接收的收件箱条目数（非普通文件、仍在写入、读取前消失），见ops.inbox_skips';
alter table ops.runs add column if not exists last_submission_id integer;
comment on column ops.runs.last_submission_id is '本次完成时最大的提交编号：编号更大的提交属于一次未完成（中途被终止）的接收，下次接收时重新核对其累计完成投资';
alter table ops.runs add column if not exists work_runs varchar[];
comment on column ops.runs.work_runs is '本次装载的解析结果所在的运行文件夹（PIPELINE_WORK下）：装载任务在完成后被判为失败而重试时，据此认出解析结果已入库，不再报工作文件不存在';

create table if not exists ops.inbox_skips (
    run_finished_at  timestamptz not null,
    inbox_path       varchar not null,
    raw_path         blob,
    kind             varchar not null,
    reason_zh        varchar not null
);
comment on table ops.inbox_skips is '每次运行中未接收的收件箱条目一行：非普通文件（符号链接、管道、设备）不读取；仍在写入或读取前消失的留待下次运行；均不记为提交';
comment on column ops.inbox_skips.run_finished_at is '所属运行（ops.runs.finished_at）';
comment on column ops.inbox_skips.inbox_path is '条目在收件箱中的相对路径（文本）';
comment on column ops.inbox_skips.raw_path is '名称不是UTF-8时的原始字节';
comment on column ops.inbox_skips.kind is 'symlink · fifo · socket · device · other · folder_closed · path_too_long（从不读取）；settling · changed · vanished · read_failed · work_unreadable（下次运行重试）';
comment on column ops.inbox_skips.reason_zh is '中文说明';

create table if not exists ops.withdrawals (
    submission_id  integer not null,
    withdrawn_at   timestamptz not null,
    withdrawn_by   varchar not null,
    reason         varchar not null,
    status_before  varchar not null
);
comment on table ops.withdrawals is '每次撤回一行（pipeline withdraw）：撤回的提交仍保留在ops.submissions中，状态为withdrawn';
comment on column ops.withdrawals.submission_id is '被撤回的提交编号';
comment on column ops.withdrawals.withdrawn_at is '撤回时间（Asia/Shanghai）';
comment on column ops.withdrawals.withdrawn_by is '撤回人：pipeline withdraw --by 所写的名字，未写时为“管理员”（回执中显示）';
comment on column ops.withdrawals.reason is '撤回原因（--reason）';
comment on column ops.withdrawals.status_before is '撤回前的状态（accepted 或 superseded）';
