-- Macros the intermediate and mart models share. Rates are fractions; amounts stay DECIMAL.

-- a / b rounded to 10 decimals, as a DECIMAL; null when b is 0 or null. DuckDB divides DECIMALs as DOUBLE, whose
-- quotient is correctly rounded: pass a product whole (weight * actual) to divide last, and a score the rules make
-- exact is exact (60 × 1 / 3 is 20, where 60 × (1/3, rounded) was 19.9999999980). Whole-number division in SQL
-- gave the same scores at twice the models' time.
create or replace macro intermediate.ratio(a, b) as
    case when b is null or b = 0 then null else cast(round(a::double / b::double, 10) as decimal(38, 10)) end;

-- How many decimals a value needs: 1250.100000 → 1, 3360.000000 → 0.
create or replace macro intermediate.decimals_of(x) as
    cast(length(rtrim(split_part(cast(abs(x) as varchar), '.', 2), '0')) as integer);

-- How many decimals to print a sum of amounts with, its rows written with up to row_decimals: as precise as they
-- were written, but past 分 (two decimals) only with digits, not the zeros a sum converted from 元 carries, nor
-- those of a sum whose last digits cancel out: 9,163.60万元 stays, 400.000000万元 is 400.00万元, 0.005 + 1,000.004 +
-- 100.001 is 1,100.01万元.
create or replace macro intermediate.sum_decimals(row_decimals, total) as
    least(row_decimals, greatest(intermediate.decimals_of(total), 2));

-- Round |x| to d decimals (0–6, or 10 as the marts keep) exactly, as text; DuckDB rounds DECIMALs only to a constant
-- precision. No branch for 7–9: each branch inlines x and d again, and the year's report_figures took 0.6 s longer
-- to build with them (docs/performance.md, session 61).
create or replace macro intermediate.rounded_text(x, d) as
    case least(greatest(d, 0), 10)
        when 0 then cast(round(abs(x), 0) as varchar)
        when 1 then cast(round(abs(x), 1) as varchar)
        when 2 then cast(round(abs(x), 2) as varchar)
        when 3 then cast(round(abs(x), 3) as varchar)
        when 4 then cast(round(abs(x), 4) as varchar)
        when 5 then cast(round(abs(x), 5) as varchar)
        when 6 then cast(round(abs(x), 6) as varchar)
        else cast(round(abs(x), 10) as varchar)
    end;

-- x as printed with d decimals, signed, as a number: 6.6666666667 with 2 is 6.67, so printed figures can be added up
-- as a reader adds them.
create or replace macro intermediate.rounded(x, d) as intermediate.rounded_text(x, d)::decimal(38, 10) * sign(x);

-- Print x, whose rounded_text(x, d) is `rounded`, the way official documents do: thousands separators and exactly
-- d decimals, no float. A model printing many numbers gives `rounded` from a column of its own: a macro's
-- argument is inlined at each use, and the three uses here tripled rounded_text's eight branches.
create or replace macro intermediate.format_rounded(x, d, rounded) as
    case when x is null then null else
        -- No sign on a figure that rounds to 0: a month 0.000833 points ahead of time progress printed -0.00 beside 无.
        (case when x < 0 and ltrim(split_part(rounded, '.', 1) || left(split_part(rounded, '.', 2), d), '0') <> ''
            then '-' else '' end)
        -- Through BIGINT where the whole part fits, with room to spare: formatting a HUGEINT costs five times as
        -- much, and a year prints 90,000 numbers.
        || case when abs(x) < 100000000000000000
            then format('{:,}', cast(split_part(rounded, '.', 1) as bigint))
            else format('{:,}', cast(split_part(rounded, '.', 1) as hugeint)) end
        || case when d > 0
            then '.' || rpad(left(split_part(rounded, '.', 2), d), d, '0')
            else '' end
    end;

-- Print a number the way official documents do: thousands separators and exactly d decimals, no float.
create or replace macro intermediate.format_number(x, d) as
    intermediate.format_rounded(x, d, intermediate.rounded_text(x, d));

-- Whether `rounded`, x rounded, is on x's side of every one of `bounds`, and on one only where x is on it.
create or replace macro intermediate.sides_kept(x, bounds, rounded) as
    list_bool_and(list_transform(bounds, lambda bound: sign(rounded - bound) = sign(x - bound)));

-- How many decimals, `places` at least, print x on its own side of each of `bounds` (on one only where it is on
-- it): 89.995 against a grade's 90 needs 3, 14.9997 against its 分值 15 needs 4, and 4.99899 against a target of
-- 4.999 needs 5, where 2 printed 5.00 over it and 4 printed 4.9990 on it. A reader holds a printed figure against
-- the bounds beside it, all at once: 99.9961 % against ≤99.996% and 100 % needs 4, where 2 kept it off the target
-- (100.00) and 3 off 100 % (99.996). Past six, the digits x has, up to the marts' ten: a payment 1 元 short of 3亿元
-- received is a rate of 0.9999999967, which six decimals print as 100%, and the score of 30 points it earns,
-- 29.9999999, printed 29.9999999000 with ten. Those need no rounding (rounded_text has no branch for 7–9). `places`
-- under 2 is that of a figure printed as its two-decimal rounding with its zero decimals dropped (4.30 as 4.3).
create or replace macro intermediate.places_apart(x, bounds, places) as
    case
        when x is null or coalesce(len(bounds), 0) = 0 then places
        when places <= 2 and intermediate.sides_kept(x, bounds, round(x, 2)) then places
        when places <= 3 and intermediate.sides_kept(x, bounds, round(x, 3)) then greatest(places, 3)
        when places <= 4 and intermediate.sides_kept(x, bounds, round(x, 4)) then greatest(places, 4)
        when places <= 5 and intermediate.sides_kept(x, bounds, round(x, 5)) then greatest(places, 5)
        when places <= 6 and intermediate.sides_kept(x, bounds, round(x, 6)) then greatest(places, 6)
        else greatest(places, least(intermediate.decimals_of(x), 10))
    end;

-- How many decimals (2 to 6, else the digits x has) print x on its own side of a bound (places_apart).
create or replace macro intermediate.decimals_apart(x, bound) as
    case when bound is null then 2 else intermediate.places_apart(x, [bound], 2) end;

-- x's decimals `places`, or more up to `wanted` where it has the digits (none past them): a figure printed beside
-- another further apart than a tolerance (places_beyond).
create or replace macro intermediate.places_up_to(x, places, wanted) as
    greatest(places, least(coalesce(wanted, 0), intermediate.decimals_of(x)));

-- The decimals (2 to 6, else all their digits) that print a and b, each with its own `places` at least
-- (places_up_to), further apart than `tolerance` as they are: a 总分 of 90 stated against 90.5000001 computed is more
-- than 0.5 off, and 90 beside 90.50 is not. Null where they are not so far apart.
create or replace macro intermediate.places_beyond(a, a_places, b, b_places, tolerance) as
    case when abs(a - b) > tolerance then coalesce(
        list_min(list_filter([2, 3, 4, 5, 6], lambda wanted: abs(
            intermediate.rounded(a, intermediate.places_up_to(a, a_places, wanted))
                - intermediate.rounded(b, intermediate.places_up_to(b, b_places, wanted))
        ) > tolerance)),
        10
    ) end;

-- The decimals a fraction prints with as a percentage: at least `places` (decimals_apart's, for the bounds beside it),
-- more where fewer would round it onto 100 % it misses.
create or replace macro intermediate.percent_places(rate, places) as
    greatest(places, intermediate.decimals_apart(rate * 100, 100));

-- Print a fraction as a percentage with `places` decimals, whose rounded_text(rate * 100, places) is `rounded`; the
-- trailing zeros dropped. A model printing many gives `places` and `rounded` from columns of its own (format_rounded).
create or replace macro intermediate.format_percent_rounded(rate, places, rounded) as
    rtrim(rtrim(intermediate.format_rounded(rate * 100, places, rounded), '0'), '.') || '%';

-- Print a fraction as a percentage with at least `places` decimals, more where fewer would round it onto 100 % it
-- misses; the trailing zeros dropped.
create or replace macro intermediate.format_percent_places(rate, places) as
    intermediate.format_percent_rounded(
        rate,
        intermediate.percent_places(rate, places),
        intermediate.rounded_text(rate * 100, intermediate.percent_places(rate, places))
    );

-- Print a fraction as a percentage with at most two decimals, more only where two would round it onto `bound`
-- (a fraction) or 100 % it misses: 0.89999 against a target of 90 % is 89.999%, not 90%, and 0.999999 against
-- one of 90 % is 99.9999%, not 100%, as the same rate prints where no target stands beside it.
create or replace macro intermediate.format_percent_apart(rate, bound) as
    intermediate.format_percent_places(rate, intermediate.decimals_apart(rate * 100, bound * 100));

-- Print a fraction as a percentage: 1 → 100%, 0.9312 → 93.12%, and never 100% unless it is (0.9999999: 99.99999%).
create or replace macro intermediate.format_percent(rate) as intermediate.format_percent_places(rate, 2);
