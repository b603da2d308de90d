-- The Redshift mock's function pack: what PostgreSQL has no built-in for, with Redshift's
-- (and Snowflake's) meaning. Installed by dwsim_shared.compat_packs.postgres.install_compat.

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_datediff(unit text, a timestamp, b timestamp)
RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE upper(unit)
    WHEN 'YEAR' THEN extract(year FROM b)::bigint - extract(year FROM a)::bigint
    WHEN 'QUARTER' THEN (extract(year FROM b)::bigint * 4 + extract(quarter FROM b)::bigint)
                      - (extract(year FROM a)::bigint * 4 + extract(quarter FROM a)::bigint)
    WHEN 'MONTH' THEN (extract(year FROM b)::bigint * 12 + extract(month FROM b)::bigint)
                    - (extract(year FROM a)::bigint * 12 + extract(month FROM a)::bigint)
    WHEN 'WEEK' THEN (date_trunc('week', b)::date - date_trunc('week', a)::date) / 7
    WHEN 'DAY' THEN b::date - a::date
    WHEN 'HOUR' THEN floor(extract(epoch FROM b) / 3600)::bigint - floor(extract(epoch FROM a) / 3600)::bigint
    WHEN 'MINUTE' THEN floor(extract(epoch FROM b) / 60)::bigint - floor(extract(epoch FROM a) / 60)::bigint
    WHEN 'SECOND' THEN floor(extract(epoch FROM b))::bigint - floor(extract(epoch FROM a))::bigint
  END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_try_number(value text)
RETURNS numeric LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN trim(value)::numeric;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.strtok(value text, delimiters text DEFAULT ' ', n integer DEFAULT 1)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  -- An empty set of delimiters makes the whole string one token (none when it is empty).
  SELECT CASE WHEN delimiters = '' THEN CASE WHEN value <> '' AND n = 1 THEN value END
  ELSE (SELECT t FROM (
    SELECT t, row_number() OVER () AS i
    FROM regexp_split_to_table(value, '[' || regexp_replace(delimiters, '([\]\[\\^-])', '\\\1', 'g') || ']') AS t
    WHERE t <> ''
  ) parts WHERE i = n) END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.editdistance(a text, b text)
RETURNS integer LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  previous integer[];
  current integer[];
  i integer;
  j integer;
BEGIN
  IF a IS NULL OR b IS NULL THEN RETURN NULL; END IF;
  previous := ARRAY(SELECT generate_series(0, length(b)));
  FOR i IN 1..length(a) LOOP
    current := ARRAY[i];
    FOR j IN 1..length(b) LOOP
      current := current || least(previous[j + 1] + 1, current[j] + 1,
        previous[j] + CASE WHEN substr(a, i, 1) = substr(b, j, 1) THEN 0 ELSE 1 END);
    END LOOP;
    previous := current;
  END LOOP;
  RETURN previous[length(b) + 1];
END
$$;

-- Snowflake's ROUND(x, scale, 'HALF_TO_EVEN'): ties go to the even neighbour.
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_round_half_even(v numeric, places integer)
RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN abs(v * power(10::numeric, places) - trunc(v * power(10::numeric, places))) = 0.5
      AND mod(trunc(v * power(10::numeric, places)), 2) = 0
    THEN trunc(v * power(10::numeric, places)) / power(10::numeric, places)
    ELSE round(v * power(10::numeric, places)) / power(10::numeric, places)
  END
$$;

-- Snowflake's INITCAP(s, delimiters): upper case at the start and after any delimiter.
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_initcap(value text, delimiters text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  result text := '';
  capital boolean := true;
  ch text;
BEGIN
  IF value IS NULL OR delimiters IS NULL THEN RETURN NULL; END IF;
  FOR i IN 1..length(value) LOOP
    ch := substr(value, i, 1);
    result := result || CASE WHEN capital THEN upper(ch) ELSE lower(ch) END;
    capital := strpos(delimiters, ch) > 0;
  END LOOP;
  RETURN result;
END
$$;

-- TRY_TO_DATE / TRY_CAST(... AS DATE | TIMESTAMP): NULL where the text is not one.
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_try_date(value text)
RETURNS date LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN trim(value)::date;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_try_timestamp(value text)
RETURNS timestamp LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN trim(value)::timestamp;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;

-- Snowflake's TO_NUMBER(value[, model], precision, scale) and TRY_TO_NUMBER (safe): `pattern` is
-- the model compiled by dwsim_shared.compat_packs.number_models (NULL: any number); rounded
-- half away from zero to the scale, failing (or NULL) when the digits do not fit the precision.
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_sf_number(
  value text, pattern text, trailing_sign boolean, p integer, s integer, safe boolean)
RETURNS numeric LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  clean text;
  result numeric;
BEGIN
  IF value IS NULL THEN
    RETURN NULL;
  END IF;
  IF value !~ coalesce(pattern, '^ *[+-]? *([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)? *$') THEN
    IF safe THEN RETURN NULL; END IF;
    RAISE EXCEPTION 'Numeric value ''%'' is not recognized', value USING ERRCODE = '22018';
  END IF;
  clean := replace(replace(replace(value, '$', ''), ',', ''), ' ', '');
  IF pattern LIKE '^ *[0-9a-fA-F]%' THEN  -- X digits: a hexadecimal integer
    result := 0;
    FOR i IN 1..length(clean) LOOP
      result := result * 16 + (position(lower(substr(clean, i, 1)) IN '0123456789abcdef') - 1);
    END LOOP;
    clean := result::text;
  END IF;
  IF trailing_sign AND length(clean) > 1 AND right(clean, 1) IN ('+', '-') THEN
    clean := CASE right(clean, 1) WHEN '-' THEN '-' ELSE '' END || left(clean, -1);
  END IF;
  result := round(clean::numeric, s);
  IF result <> 0 AND abs(result) >= power(10::numeric, p - s) THEN
    IF safe THEN RETURN NULL; END IF;
    RAISE EXCEPTION 'Numeric value ''%'' is out of range', value USING ERRCODE = '22003';
  END IF;
  RETURN result;
END
$$;

-- Snowflake's TO_DATE / TO_TIMESTAMP / TO_TIME with a format, and their TRY_ forms (`safe`: NULL
-- where the text does not parse): the text, blanks around it aside, must match the model whole
-- (`pattern`, compiled from it by dwsim_shared.compat_packs.formats.parse_pattern), where
-- PostgreSQL's to_timestamp reads what it can (' 12 ' as 'YYYY-MM-DD' is the year 12, '' is
-- 0001-01-01 BC); a date past its month's end fails in to_timestamp.
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_sf_parse(
  value text, pattern text, model text, safe boolean)
RETURNS timestamp LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  clean text := regexp_replace(value, '^\s+|\s+$', '', 'g');
BEGIN
  IF value IS NULL THEN
    RETURN NULL;
  END IF;
  IF clean !~ ('^' || pattern || '$') THEN
    IF safe THEN RETURN NULL; END IF;
    RAISE EXCEPTION 'Can''t parse ''%'' as a date or time with format ''%''', value, model
      USING ERRCODE = '22007';
  END IF;
  IF NOT safe THEN
    RETURN to_timestamp(clean, model)::timestamp;
  END IF;
  BEGIN
    RETURN to_timestamp(clean, model)::timestamp;
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END;
END
$$;

-- Snowflake's TIME_SLICE: slices aligned to 1970-01-01 (weeks to Monday 1969-12-29).
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_time_slice(
  value timestamp, length integer, part text, ending boolean)
RETURNS timestamp LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  months bigint;
  width bigint;
  origin timestamp := CASE WHEN upper(part) = 'WEEK' THEN timestamp '1969-12-29' ELSE timestamp '1970-01-01' END;
  elapsed bigint;
BEGIN
  IF value IS NULL OR length IS NULL THEN
    RETURN NULL;
  END IF;
  IF length < 1 THEN
    RAISE EXCEPTION 'TIME_SLICE: the slice length % is not 1 or more', length;
  END IF;
  IF upper(part) IN ('YEAR', 'QUARTER', 'MONTH') THEN
    months := (extract(year FROM value)::bigint - 1970) * 12 + extract(month FROM value)::bigint - 1;
    width := length * CASE upper(part) WHEN 'YEAR' THEN 12 WHEN 'QUARTER' THEN 3 ELSE 1 END;
    months := floor(months::numeric / width)::bigint * width + CASE WHEN ending THEN width ELSE 0 END;
    RETURN timestamp '1970-01-01' + make_interval(months => months::integer);
  END IF;
  width := length * CASE upper(part) WHEN 'WEEK' THEN 604800 WHEN 'DAY' THEN 86400
    WHEN 'HOUR' THEN 3600 WHEN 'MINUTE' THEN 60 WHEN 'SECOND' THEN 1 END;
  IF width IS NULL THEN
    RAISE EXCEPTION 'TIME_SLICE: unknown date or time part %', part;
  END IF;
  elapsed := floor(extract(epoch FROM value - origin))::bigint;
  elapsed := floor(elapsed::numeric / width)::bigint * width + CASE WHEN ending THEN width ELSE 0 END;
  RETURN origin + make_interval(secs => elapsed);
END
$$;

-- Snowflake's encodings, SOUNDEX, INSERT, SPACE, FACTORIAL and TRY_TO_TIME (pack version 5).
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_hex_encode(value text, upper_case integer DEFAULT 1)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN upper_case = 0 THEN encode(convert_to(value, 'UTF8'), 'hex')
              ELSE upper(encode(convert_to(value, 'UTF8'), 'hex')) END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_hex_decode_string(value text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF value !~ '^([0-9A-Fa-f]{2})*$' THEN RAISE EXCEPTION 'not hex'; END IF;
  RETURN convert_from(decode(value, 'hex'), 'UTF8');
EXCEPTION WHEN others THEN
  RAISE EXCEPTION 'The following string is not a legal hex-encoded value: ''%''', value;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_try_hex_decode_string(value text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN dwsim_compat.dwsim_hex_decode_string(value);
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_base64_encode(value text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT replace(encode(convert_to(value, 'UTF8'), 'base64'), E'\n', '')
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_base64_decode_string(value text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF value !~ '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$' THEN
    RAISE EXCEPTION 'not base64';
  END IF;
  RETURN convert_from(decode(value, 'base64'), 'UTF8');
EXCEPTION WHEN others THEN
  RAISE EXCEPTION 'The following string is not a legal base64-encoded value: ''%''', value;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_try_base64_decode_string(value text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN dwsim_compat.dwsim_base64_decode_string(value);
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_soundex(value text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  letters text := regexp_replace(upper(value), '[^A-Z]', '', 'g');
  codes text := '01230120022455012623010202';  -- A..Z
  result text;
  previous text;
  code text;
  letter text;
  i integer;
BEGIN
  IF value IS NULL THEN RETURN NULL; END IF;
  IF value !~ '^[A-Za-z]' OR octet_length(value) <> char_length(value) THEN
    RAISE EXCEPTION 'SOUNDEX needs text that starts with a letter A-Z and holds ASCII characters only';
  END IF;
  result := substr(letters, 1, 1);
  previous := substr(codes, ascii(result) - 64, 1);
  FOR i IN 2..length(letters) LOOP
    letter := substr(letters, i, 1);
    code := substr(codes, ascii(letter) - 64, 1);
    IF code <> '0' AND code <> previous THEN
      result := result || code;
    END IF;
    IF letter NOT IN ('H', 'W') THEN
      previous := code;
    END IF;
  END LOOP;
  RETURN substr(result || '000', 1, 4);
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_insert(value text, pos numeric, len numeric, replacement text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  start bigint := round(pos);
  removed bigint := round(len);
BEGIN
  IF value IS NULL OR start IS NULL OR removed IS NULL OR replacement IS NULL THEN RETURN NULL; END IF;
  IF start < 1 OR removed < 0 THEN
    RAISE EXCEPTION 'INSERT needs a position of at least 1 and a length of at least 0';
  END IF;
  RETURN substr(value, 1, (start - 1)::integer) || replacement || substr(value, (start + removed)::integer);
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_space(n numeric)
RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT repeat(' ', greatest(round(n), 0)::integer)
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_factorial(value numeric)
RETURNS numeric LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  n bigint := round(value);
BEGIN
  IF n IS NULL THEN RETURN NULL; END IF;
  IF n < 0 OR n > 33 THEN
    RAISE EXCEPTION 'FACTORIAL of %: the argument must be between 0 and 33', n;
  END IF;
  RETURN factorial(n);
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_try_time(value text)
RETURNS time LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN trim(value)::time;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_fail(message text)
RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION '%', message;
END
$$;

-- Redshift's JSON text functions: the kind of a document ('invalid' for text that is not JSON),
-- and JSON_EXTRACT_ARRAY_ELEMENT_TEXT answering an element as the document writes it (`json`,
-- not `jsonb`, which would reorder keys and respace).
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_json_kind(value text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN json_typeof(value::json);
EXCEPTION WHEN others THEN
  RETURN 'invalid';
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_json_array_element(
  value text, pos bigint, null_if_invalid boolean)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  doc json;
BEGIN
  IF value IS NULL OR pos IS NULL THEN
    RETURN NULL;
  END IF;
  IF dwsim_compat.dwsim_json_kind(value) IS DISTINCT FROM 'array' THEN
    IF null_if_invalid THEN
      RETURN NULL;
    END IF;
    RAISE EXCEPTION 'invalid json array object %', value;
  END IF;
  doc := value::json;
  IF pos < 0 OR pos >= json_array_length(doc) THEN
    RETURN '';
  END IF;
  RETURN doc ->> pos::integer;
END
$$;
