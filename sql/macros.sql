-- Macros the intermediate and mart models share. Rates are fractions; amounts stay DECIMAL.

-- A DECIMAL as a whole number of 10⁻¹⁶ (a weight's 6 decimals times a value's 10 fit): its digits without the
-- point, as DuckDB writes every decimal of a DECIMAL's scale.
create or replace macro intermediate.scaled(x) as
    cast(replace(cast(cast(x as decimal(38, 16)) as varchar), '.', '') as hugeint);

-- a / b exactly, rounded half away from zero to 10 decimals; null when b is 0 or null. DuckDB divides DECIMALs
-- as DOUBLE, and 60 × (1/3 as a double, rounded) is 19.999…: the quotient is taken in whole numbers instead, so
-- a score the rules make exact (60 × 1 / 3 = 20) is exact. Pass a product whole (weight * actual) to divide last.
-- Past 10¹¹ the whole numbers would overflow HUGEINT; an amount that large is a mistake the suites flag, and it is
-- divided as a DOUBLE, as before, rather than failing the night's build.
create or replace macro intermediate.ratio(a, b) as
    case
        when b is null or b = 0 then null
        when abs(a) < 100000000000 and abs(b) < 100000000000 then
            cast(
                sign(a) * sign(b)
                    * ((abs(intermediate.scaled(a)) * 20000000000 + abs(intermediate.scaled(b)))
                        // (2 * abs(intermediate.scaled(b))))
                as decimal(38, 0)
            ) * 0.0000000001
        else cast(round(a::double / b::double, 10) as decimal(38, 10))
    end;

-- How many decimals a value needs: 1250.100000 → 1, 3360.000000 → 0.
create or replace macro intermediate.decimals_of(x) as
    cast(length(rtrim(split_part(cast(abs(x) as varchar), '.', 2), '0')) as integer);

-- Round |x| to d decimals (0–6) exactly, as text; DuckDB rounds DECIMALs only to a constant precision.
create or replace macro intermediate.rounded_text(x, d) as
    case least(greatest(d, 0), 6)
        when 0 then cast(round(abs(x), 0) as varchar)
        when 1 then cast(round(abs(x), 1) as varchar)
        when 2 then cast(round(abs(x), 2) as varchar)
        when 3 then cast(round(abs(x), 3) as varchar)
        when 4 then cast(round(abs(x), 4) as varchar)
        when 5 then cast(round(abs(x), 5) as varchar)
        else cast(round(abs(x), 6) as varchar)
    end;

-- Print a number the way official documents do: thousands separators and exactly d decimals, no float.
create or replace macro intermediate.format_number(x, d) as
    case when x is null then null else
        (case when x < 0 then '-' else '' end)
        -- Through BIGINT where the whole part fits, with room to spare: formatting a HUGEINT costs five times as
        -- much, and a year prints 90,000 numbers.
        || case when abs(x) < 100000000000000000
            then format('{:,}', cast(split_part(intermediate.rounded_text(x, d), '.', 1) as bigint))
            else format('{:,}', cast(split_part(intermediate.rounded_text(x, d), '.', 1) as hugeint)) end
        || case when d > 0
            then '.' || rpad(left(split_part(intermediate.rounded_text(x, d), '.', 2), d), d, '0')
            else '' end
    end;

-- Print a fraction as a percentage with at most two decimals: 1 → 100%, 0.9312 → 93.12%.
-- Two decimals, then the trailing zeros dropped: the same text as rounding to as many decimals as the value
-- rounded to two needs, without working that count out (a macro repeats its arguments wherever they are used).
create or replace macro intermediate.format_percent(rate) as
    rtrim(rtrim(intermediate.format_number(rate * 100, 2), '0'), '.') || '%';
