-- mart.monitoring_lights: one row per project (project_code), year and month that has progress data, with its
-- warning light. project_name is the project's latest registered name. A month one of the project's offices has
-- not reported reads that office's latest earlier month (intermediate.investment_monthly), not the other office's
-- figures alone; the offices so counted, or not counted, are listed.
create or replace table mart.monitoring_lights as
with monthly as (
    select * from intermediate.investment_monthly
),

projects as (
    select project_code, year, project_name from intermediate.project_years
),

bands as (
    select year, light, severity, up_to_points from config.light_bands
),

-- The first band whose bound the gap does not exceed; compared cross-multiplied, so 10.000 points is exact.
lit as (
    select monthly.project_code, monthly.year, monthly.month, arg_min(bands.light, bands.severity) as light
    from monthly
    inner join bands
        on bands.year = monthly.year
        and (
            bands.up_to_points is null
            or (monthly.month * monthly.annual_planned_investment_wan - 12 * monthly.cumulative_completed_wan) * 100
            <= bands.up_to_points * 12 * monthly.annual_planned_investment_wan
        )
    where monthly.annual_planned_investment_wan > 0
    group by all
),

final as (
    select
        monthly.project_code,
        projects.project_name,
        monthly.year,
        monthly.month,
        monthly.annual_planned_investment_wan,
        monthly.cumulative_completed_wan,
        intermediate.ratio(monthly.month, 12) as time_progress,
        intermediate.ratio(monthly.cumulative_completed_wan, monthly.annual_planned_investment_wan)
            as investment_progress,
        -- No plan, no progress to lag behind: a month planned at 0 has no gap and no light (its receipt warned).
        case when monthly.annual_planned_investment_wan > 0 then cast(round(
            (monthly.month * monthly.annual_planned_investment_wan - 12 * monthly.cumulative_completed_wan)::double
            * 100 / (12 * monthly.annual_planned_investment_wan)::double, 6) as decimal(18, 6)) end as gap_points,
        lit.light,
        bands.severity,
        monthly.carried_forward,
        monthly.units_not_counted,
        monthly.lineage
    from monthly
    left join lit using (project_code, year, month)
    left join bands on bands.year = monthly.year and bands.light = lit.light
    left join projects using (project_code, year)
    order by projects.project_name, monthly.project_code, monthly.year, monthly.month
)

select * from final;

comment on table mart.monitoring_lights is '投资进度监控预警：每个有进度数据的项目、年度、月份一行';
comment on column mart.monitoring_lights.project_code is '项目编码（按项目编码汇总；未填编码的项目为“自编:实施单位/项目名称”）';
comment on column mart.monitoring_lights.project_name is '项目名称：项目基本信息表中最新登记的名称';
comment on column mart.monitoring_lights.year is '年度';
comment on column mart.monitoring_lights.month is '月份（1–12）';
comment on column mart.monitoring_lights.annual_planned_investment_wan is '年度计划投资（万元），各报送单位截至本月最近一期月报之和';
comment on column mart.monitoring_lights.cumulative_completed_wan is '自年初累计完成投资（万元），各报送单位截至本月最近一期月报之和（未报送本月的单位按其此前最近月份计入，见carried_forward）';
comment on column mart.monitoring_lights.time_progress is '时间进度 = 月份 / 12（比例）';
comment on column mart.monitoring_lights.investment_progress is '投资进度 = 累计完成投资 / 年度计划投资（比例）';
comment on column mart.monitoring_lights.gap_points is '偏离度 = 时间进度 − 投资进度（百分点，保留6位小数）';
comment on column mart.monitoring_lights.light is '预警灯：none 无、blue 蓝灯、yellow 黄灯、red 红灯（阈值见 registry/rules.yaml）';
comment on column mart.monitoring_lights.severity is '预警灯的严重程度（0 为无灯，越大越严重）';
comment on column mart.monitoring_lights.carried_forward is '未报送本月、按此前最近月份的累计完成投资和年度计划投资计入的单位及该月份（unit、month）；空列表表示各单位都报送了本月';
comment on column mart.monitoring_lights.units_not_counted is '只报送了以后月份、本月进度未计入的单位，按名称排序；空列表表示无';
comment on column mart.monitoring_lights.lineage is '来源：计入本月的各行（含按此前月份计入的行）的提交编号、工作表、Excel行号';
