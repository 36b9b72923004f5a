-- intermediate.monitoring_places: one row per project (project_code), year and month of mart.monitoring_findings
-- with an execution rate, with the decimals that rate and the time progress beside it print with: two, or as many
-- more as print them apart where they are apart (and alike where they are): 1-7月 58.3325 % against 7/12, 58.3333 %,
-- both printed 58.33%, read as on time.
create or replace table intermediate.monitoring_places as
with final as (
    select project_code, year, month,
        coalesce(
            min(places) filter (
                where sign(intermediate.rounded(rate * 100, places) - intermediate.rounded(time_progress * 100, places))
                    = sign(rate - time_progress)
            ),
            10
        )::integer as places
    from (
        select project_code, year, month, time_progress,
            coalesce(reported_execution_rate, computed_execution_rate) as rate
        from mart.monitoring_findings
    )
    cross join (select range as places from range(2, 7)) as places
    where rate is not null
    group by all
)

select * from final;

comment on table intermediate.monitoring_places is '运行监控执行率的小数位数：运行监控表有执行率的每个项目、年度、月份一行，执行率与时间进度共用的小数位数';
comment on column intermediate.monitoring_places.project_code is '项目编码（未填编码的项目为“自编:实施单位/项目名称”）';
comment on column intermediate.monitoring_places.year is '年度';
comment on column intermediate.monitoring_places.month is '月份（1-N月的N）';
comment on column intermediate.monitoring_places.places is '印出的小数位数：两位，或使两者印出的大小关系与实际一致所需的更多位';
