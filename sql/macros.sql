-- Macros the intermediate and mart models share. Rates are fractions; amounts stay DECIMAL.

-- A ratio kept as a DECIMAL with 10 decimals (DuckDB divides DECIMALs as DOUBLE); null when b is 0 or null.
create or replace macro intermediate.ratio(a, b) as
    case when b is null or b = 0 then null else cast(round(a::double / b::double, 10) as decimal(18, 10)) end;

-- How many decimals a value needs: 1250.100000 → 1, 3360.000000 → 0.
create or replace macro intermediate.decimals_of(x) as
    length(rtrim(split_part(cast(abs(x) as varchar), '.', 2), '0'));

-- Print a number the way official documents do: thousands separators and exactly d decimals, no float.
create or replace macro intermediate.format_number(x, d) as
    case when x is null then null else
        (case when x < 0 then '-' else '' end)
        || format('{:,}', cast(split_part(cast(round(abs(x), d) as varchar), '.', 1) as hugeint))
        || case when d > 0
            then '.' || rpad(left(split_part(cast(round(abs(x), d) as varchar), '.', 2), d), d, '0')
            else '' end
    end;

-- Print a fraction as a percentage with at most two decimals: 1 → 100%, 0.9312 → 93.12%.
create or replace macro intermediate.format_percent(rate) as
    intermediate.format_number(rate * 100, least(2, intermediate.decimals_of(round(rate * 100, 2)))) || '%';

-- Factor from a written unit to the measure's base unit (rates as fractions, area in ㎡, money in 万元).
create or replace macro intermediate.unit_factor(written_unit) as
    case written_unit
        when '%' then 0.01
        when '万平方米' then 10000
        when '万㎡' then 10000
        when '亿元' then 10000
        when '元' then 0.0001
        else 1
    end;
