-- intermediate.gap_decimals: one row per project (project_code), year and month of mart.monitoring_lights with a
-- light, with the decimals its gap prints with: two, or as many more (up to its six) as its light needs to be read
-- from it: 20.000833 points is red, and "20.00" beside 红灯 would read as yellow's bound.
create or replace table intermediate.gap_decimals as
with final as (
    select project_code, year, month, coalesce(min(places) filter (where shown_light = light), 6)::integer as decimals
    from (
        select
            lights.project_code,
            lights.year,
            lights.month,
            lights.light,
            places.places,
            (
                select arg_min(bands.light, bands.severity)
                from config.light_bands as bands
                where bands.year = lights.year
                    and (bands.up_to_points is null or (
                    case places.places
                        when 2 then round(lights.gap_points, 2)
                        when 3 then round(lights.gap_points, 3)
                        when 4 then round(lights.gap_points, 4)
                        when 5 then round(lights.gap_points, 5)
                        else lights.gap_points
                    end <= bands.up_to_points
                ))
            ) as shown_light
        from mart.monitoring_lights as lights
        cross join (select range as places from range(2, 7)) as places
        where lights.light is not null
    )
    group by all
)

select * from final;

comment on table intermediate.gap_decimals is '进度差的小数位数：有预警灯的每个项目、年度、月份一行，投资完成进度与时间进度之差印出的小数位数';
comment on column intermediate.gap_decimals.project_code is '项目编码（未填编码的项目为“自编:实施单位/项目名称”）';
comment on column intermediate.gap_decimals.year is '年度';
comment on column intermediate.gap_decimals.month is '月份';
comment on column intermediate.gap_decimals.decimals is '印出的小数位数：两位，或按印出的差仍读得出该月预警灯所需的更多位（至多六位）';
