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

-- Snowflake TRY_PARSE_JSON / TO_JSON (compat/json_conversions.py). JSON (not JSONB) keeps a
-- number as written and every key of an object, duplicates included.
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_json_duplicates(v json)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF json_typeof(v) = 'object' THEN
    RETURN (SELECT count(*) <> count(DISTINCT p.k)
                   OR coalesce(bool_or(dwsim_compat.dwsim_json_duplicates(p.e)), false)
            FROM json_each(v) AS p(k, e));
  ELSIF json_typeof(v) = 'array' THEN
    RETURN coalesce((SELECT bool_or(dwsim_compat.dwsim_json_duplicates(a.e))
                     FROM json_array_elements(v) AS a(e)), false);
  END IF;
  RETURN false;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_try_parse_json(value text)
RETURNS json LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  parsed json;
  bare text;
BEGIN
  IF value IS NULL THEN
    RETURN NULL;
  END IF;
  -- TRUE, False, NULL... in lower case outside strings (Snowflake reads them in any case).
  value := (SELECT string_agg(CASE WHEN r.m[1] LIKE '"%' THEN r.m[1]
                                   ELSE regexp_replace(regexp_replace(regexp_replace(r.m[1],
                                        '\mtrue\M', 'true', 'gi'), '\mfalse\M', 'false', 'gi'),
                                        '\mnull\M', 'null', 'gi') END, '' ORDER BY r.o)
            FROM regexp_matches(value, '"(?:[^"\\]|\\.)*"?|[^"]+', 'g') WITH ORDINALITY AS r(m, o));
  BEGIN
    parsed := value::json;
  EXCEPTION WHEN others THEN
    bare := regexp_replace(value, '"(?:[^"\\]|\\.)*"', '""', 'g');
    IF bare ~ ',\s*[\]}]' THEN
      RAISE EXCEPTION 'TRY_PARSE_JSON of text with a trailing comma (an undefined element in Snowflake) is not carried';
    END IF;
    IF bare ~ '\m(NaN|Infinity)\M' THEN
      RAISE EXCEPTION 'TRY_PARSE_JSON of NaN or Infinity is not carried';
    END IF;
    RETURN NULL;
  END;
  IF dwsim_compat.dwsim_json_duplicates(parsed) THEN
    RETURN NULL;
  END IF;
  RETURN parsed;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_to_json(v json)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  kind text := json_typeof(v);
BEGIN
  IF v IS NULL THEN
    RETURN NULL;
  ELSIF kind = 'object' THEN
    RETURN '{' || coalesce((SELECT string_agg(to_json(p.k)::text || ':' || dwsim_compat.dwsim_to_json(p.e),
                                              ',' ORDER BY p.k COLLATE "C")
                            FROM json_each(v) AS p(k, e)), '') || '}';
  ELSIF kind = 'array' THEN
    RETURN '[' || coalesce((SELECT string_agg(dwsim_compat.dwsim_to_json(a.e), ',' ORDER BY a.o)
                            FROM json_array_elements(v) WITH ORDINALITY AS a(e, o)), '') || ']';
  ELSIF kind = 'string' THEN
    RETURN to_json(v #>> '{}')::text;
  ELSIF kind = 'number' AND v::text ~ '[eE]' THEN
    RAISE EXCEPTION 'TO_JSON of a number with an exponent (a DOUBLE) is not carried';
  END IF;
  RETURN btrim(v::text);
END
$$;

-- Snowflake ARRAY / OBJECT functions on JSONB (compat/arrays_more.py): a NULL array or object
-- answers NULL; a value JSON cannot hold (Snowflake's `undefined`) fails by name; elements are
-- equal as JSONB values are (1 equals 1.0; objects whatever their key order).
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_sf_array(doc jsonb, name text)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF doc IS NOT NULL AND jsonb_typeof(doc) <> 'array' THEN
    RAISE EXCEPTION '%: the argument is not an ARRAY', name;
  END IF;
  RETURN doc;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_sf_object(doc jsonb, name text)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF doc IS NOT NULL AND jsonb_typeof(doc) <> 'object' THEN
    RAISE EXCEPTION '%: the argument is not an OBJECT', name;
  END IF;
  RETURN doc;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_array_insert(doc jsonb, pos bigint, val jsonb)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  n bigint;
  at bigint;
BEGIN
  IF doc IS NULL OR pos IS NULL THEN
    RETURN NULL;
  END IF;
  n := jsonb_array_length(dwsim_compat.dwsim_sf_array(doc, 'ARRAY_INSERT'));
  at := CASE WHEN pos < 0 THEN pos + n ELSE pos END;
  IF at < 0 OR at > n THEN
    RAISE EXCEPTION 'ARRAY_INSERT beyond the array''s ends (undefined elements in between) is not carried';
  END IF;
  IF val IS NULL THEN
    RAISE EXCEPTION 'ARRAY_INSERT of a NULL value (undefined in an ARRAY) is not carried';
  END IF;
  IF at = n THEN
    RETURN doc || jsonb_build_array(val);
  END IF;
  RETURN jsonb_insert(doc, ARRAY[at::text], val);
END
$$;

-- ARRAY_INTERSECTION (keep = true) and ARRAY_EXCEPT (keep = false), multiset: the k-th copy of
-- an element of `a` is kept when `b` holds at least k copies (INTERSECTION) or fewer (EXCEPT).
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_array_multiset(a jsonb, b jsonb, keep boolean, name text)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  found jsonb;
BEGIN
  IF a IS NULL OR b IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM dwsim_compat.dwsim_sf_array(a, name), dwsim_compat.dwsim_sf_array(b, name);
  SELECT COALESCE(jsonb_agg(e.v ORDER BY e.o), '[]'::jsonb) INTO found
  FROM (SELECT x.v, x.o, row_number() OVER (PARTITION BY x.v ORDER BY x.o) AS r
        FROM jsonb_array_elements(a) WITH ORDINALITY AS x(v, o)) AS e
  WHERE (e.r <= (SELECT count(*) FROM jsonb_array_elements(b) AS y(v) WHERE y.v = e.v)) = keep;
  RETURN found;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_array_flatten(doc jsonb)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  found jsonb;
BEGIN
  IF doc IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM dwsim_compat.dwsim_sf_array(doc, 'ARRAY_FLATTEN');
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(doc) AS x(v) WHERE jsonb_typeof(x.v) <> 'array') THEN
    RAISE EXCEPTION 'ARRAY_FLATTEN: an element is not an ARRAY';
  END IF;
  SELECT COALESCE(jsonb_agg(y.v ORDER BY x.o, y.p), '[]'::jsonb) INTO found
  FROM jsonb_array_elements(doc) WITH ORDINALITY AS x(v, o),
       jsonb_array_elements(x.v) WITH ORDINALITY AS y(v, p);
  RETURN found;
END
$$;

-- ARRAY_SORT (and ARRAY_MIN / ARRAY_MAX from it) for arrays of numbers only or of strings only:
-- numbers by value, strings by code point (COLLATE "C"), equal ones in their order.
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_array_sort(doc jsonb, ascending boolean, name text)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  kinds text[];
  found jsonb;
BEGIN
  IF doc IS NULL OR ascending IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM dwsim_compat.dwsim_sf_array(doc, name);
  SELECT array_agg(DISTINCT jsonb_typeof(x.v)) INTO kinds FROM jsonb_array_elements(doc) AS x(v);
  IF kinds IS NULL THEN
    RETURN '[]'::jsonb;
  END IF;
  IF kinds <> ARRAY['number'] AND kinds <> ARRAY['string'] THEN
    RAISE EXCEPTION '% of an array that is not all numbers or all strings is not carried', name;
  END IF;
  IF kinds = ARRAY['number'] THEN
    SELECT jsonb_agg(x.v ORDER BY CASE WHEN ascending THEN (x.v #>> '{}')::numeric END,
                     CASE WHEN NOT ascending THEN (x.v #>> '{}')::numeric END DESC, x.o)
    INTO found FROM jsonb_array_elements(doc) WITH ORDINALITY AS x(v, o);
  ELSE
    SELECT jsonb_agg(x.v ORDER BY CASE WHEN ascending THEN (x.v #>> '{}') END COLLATE "C",
                     CASE WHEN NOT ascending THEN (x.v #>> '{}') END COLLATE "C" DESC, x.o)
    INTO found FROM jsonb_array_elements(doc) WITH ORDINALITY AS x(v, o);
  END IF;
  RETURN found;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_array_generate_range(first bigint, stop bigint, step bigint)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  found jsonb;
BEGIN
  IF first IS NULL OR stop IS NULL OR step IS NULL THEN
    RETURN NULL;
  END IF;
  IF step = 0 THEN
    RAISE EXCEPTION 'ARRAY_GENERATE_RANGE with a step of 0';
  END IF;
  IF (stop::numeric - first) / step > 1000000 THEN
    RAISE EXCEPTION 'ARRAY_GENERATE_RANGE of more than 1000000 elements';
  END IF;
  SELECT COALESCE(jsonb_agg(g.v ORDER BY g.o), '[]'::jsonb) INTO found
  FROM generate_series(first, stop - sign(step)::bigint, step) WITH ORDINALITY AS g(v, o);
  RETURN found;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_array_remove(doc jsonb, val jsonb)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  found jsonb;
BEGIN
  IF doc IS NULL OR val IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM dwsim_compat.dwsim_sf_array(doc, 'ARRAY_REMOVE');
  SELECT COALESCE(jsonb_agg(x.v ORDER BY x.o), '[]'::jsonb) INTO found
  FROM jsonb_array_elements(doc) WITH ORDINALITY AS x(v, o) WHERE x.v <> val;
  RETURN found;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_array_remove_at(doc jsonb, pos bigint)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  n bigint;
  at bigint;
BEGIN
  IF doc IS NULL OR pos IS NULL THEN
    RETURN NULL;
  END IF;
  n := jsonb_array_length(dwsim_compat.dwsim_sf_array(doc, 'ARRAY_REMOVE_AT'));
  at := CASE WHEN pos < 0 THEN pos + n ELSE pos END;
  IF at < 0 OR at >= n THEN
    RETURN doc;
  END IF;
  RETURN doc - at::integer;
END
$$;

-- OBJECT_INSERT: a SQL NULL key or value leaves the pair out (updating, takes the key away);
-- an existing key fails unless `updating`.
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_object_insert(doc jsonb, k text, val jsonb, updating boolean)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF doc IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM dwsim_compat.dwsim_sf_object(doc, 'OBJECT_INSERT');
  IF k IS NULL THEN
    RETURN doc;
  END IF;
  IF doc ? k AND NOT updating THEN
    RAISE EXCEPTION 'OBJECT_INSERT: the key ''%'' is already in the object', k;
  END IF;
  IF val IS NULL THEN
    RETURN doc - k;
  END IF;
  RETURN doc || jsonb_build_object(k, val);
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_object_delete(doc jsonb, VARIADIC keys text[])
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN dwsim_compat.dwsim_sf_object(doc, 'OBJECT_DELETE') - array_remove(keys, NULL);
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_object_pick(doc jsonb, VARIADIC keys text[])
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  found jsonb;
BEGIN
  IF doc IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM dwsim_compat.dwsim_sf_object(doc, 'OBJECT_PICK');
  SELECT COALESCE(jsonb_object_agg(e.key, e.value), '{}'::jsonb) INTO found
  FROM jsonb_each(doc) AS e WHERE e.key = ANY(keys);
  RETURN found;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_object_pick_array(doc jsonb, keys jsonb)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF doc IS NULL OR keys IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM dwsim_compat.dwsim_sf_array(keys, 'OBJECT_PICK');
  RETURN dwsim_compat.dwsim_object_pick(doc, VARIADIC ARRAY(
    SELECT x.v #>> '{}' FROM jsonb_array_elements(keys) AS x(v)));
END
$$;

-- Redshift's SUPER array and conversion functions (compat/redshift_super.py): a SUPER value
-- arrives as json (its text and key order kept), a NULL answers NULL, a value that is not an
-- array where one is needed fails by name.
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_array(value json, name text)
RETURNS json LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF value IS NOT NULL AND json_typeof(value) <> 'array' THEN
    RAISE EXCEPTION '%: the argument is not an array', name;
  END IF;
  RETURN value;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_json_serialize(value json)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN value IS NULL THEN 'null'
    ELSE regexp_replace(value::text, '("(?:[^"\\]|\\.)*")|\s+', '\1', 'g') END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_json_size(value json)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT octet_length(dwsim_compat.dwsim_rs_json_serialize(value))
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_get_array_length(value json)
RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT json_array_length(dwsim_compat.dwsim_rs_array(value, 'GET_ARRAY_LENGTH'))
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_subarray(value json, start bigint, len bigint)
RETURNS json LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  first bigint;
BEGIN
  IF value IS NULL OR start IS NULL OR len IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM dwsim_compat.dwsim_rs_array(value, 'SUBARRAY');
  first := CASE WHEN start < 0 THEN json_array_length(value) + start ELSE start END;
  IF first < 0 THEN
    RAISE EXCEPTION 'SUBARRAY: a negative start_position before the first element';
  END IF;
  IF len < 0 THEN
    RAISE EXCEPTION 'SUBARRAY: a negative length';
  END IF;
  RETURN (SELECT COALESCE(json_agg(e.v ORDER BY e.o), '[]'::json)
          FROM json_array_elements(value) WITH ORDINALITY AS e(v, o)
          WHERE e.o - 1 >= first AND e.o - 1 - first < len);
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_split_to_array(value text, delimiter text)
RETURNS json LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF value IS NULL OR delimiter IS NULL THEN
    RETURN NULL;
  END IF;
  IF delimiter = '' THEN
    RAISE EXCEPTION 'SPLIT_TO_ARRAY: an empty delimiter';
  END IF;
  IF value = '' THEN
    RETURN '[""]'::json;
  END IF;
  RETURN to_json(string_to_array(value, delimiter));
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_array_concat(a json, b json)
RETURNS json LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF a IS NULL OR b IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM dwsim_compat.dwsim_rs_array(a, 'ARRAY_CONCAT');
  PERFORM dwsim_compat.dwsim_rs_array(b, 'ARRAY_CONCAT');
  RETURN (SELECT COALESCE(json_agg(e.v ORDER BY e.k, e.o), '[]'::json) FROM (
            SELECT 1 AS k, x.v, x.o FROM json_array_elements(a) WITH ORDINALITY AS x(v, o)
            UNION ALL
            SELECT 2, y.v, y.o FROM json_array_elements(b) WITH ORDINALITY AS y(v, o)) AS e);
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_array_flatten(value json)
RETURNS json LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  element json;
  out json[] := ARRAY[]::json[];
BEGIN
  IF value IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM dwsim_compat.dwsim_rs_array(value, 'ARRAY_FLATTEN');
  FOR element IN SELECT v FROM json_array_elements(value) AS e(v) LOOP
    IF json_typeof(element) = 'array' THEN
      out := out || ARRAY(SELECT v FROM json_array_elements(element) AS i(v));
    ELSIF json_typeof(element) = 'null' THEN
      out := out || element;
    ELSE
      RAISE EXCEPTION 'ARRAY_FLATTEN: an element is not an array';
    END IF;
  END LOOP;
  RETURN to_json(out);
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_strtol(value text, base integer)
RETURNS bigint LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  digits text := '0123456789abcdefghijklmnopqrstuvwxyz';
  body text;
  negative boolean := false;
  result numeric := 0;
  digit integer;
  i integer;
BEGIN
  IF value IS NULL OR base IS NULL THEN
    RETURN NULL;
  END IF;
  IF base < 2 OR base > 36 THEN
    RAISE EXCEPTION 'STRTOL: base must be between 2 and 36';
  END IF;
  IF value = '' THEN
    RETURN 0;
  END IF;
  body := lower(ltrim(value, E' \t\n\r\f\v'));
  IF left(body, 1) IN ('+', '-') THEN
    negative := left(body, 1) = '-';
    body := substr(body, 2);
  END IF;
  IF base = 16 AND left(body, 2) = '0x' THEN
    body := substr(body, 3);
  END IF;
  IF body = '' THEN
    RAISE EXCEPTION 'STRTOL: % is not a number in base %', quote_literal(value), base;
  END IF;
  FOR i IN 1 .. length(body) LOOP
    digit := strpos(left(digits, base), substr(body, i, 1)) - 1;
    IF digit < 0 THEN
      RAISE EXCEPTION 'STRTOL: % is not a number in base %', quote_literal(value), base;
    END IF;
    result := result * base + digit;
  END LOOP;
  IF negative THEN
    result := -result;
  END IF;
  IF result < -9223372036854775808 OR result > 9223372036854775807 THEN
    RAISE EXCEPTION 'STRTOL: the value is out of the signed 64-bit range';
  END IF;
  RETURN result::bigint;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_teradata_number(value text, name text)
RETURNS numeric LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  parts text[];
  number numeric;
BEGIN
  IF value IS NULL THEN
    RETURN NULL;
  END IF;
  IF btrim(value) = '' THEN
    RETURN 0;
  END IF;
  parts := regexp_match(value,
    '^\s*([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?([+-]?)\s*$');
  IF parts IS NULL OR (parts[1] <> '' AND parts[4] <> '') THEN
    RAISE EXCEPTION '%: % is not a number', name, quote_literal(value);
  END IF;
  number := parts[2]::numeric * power(10::numeric, coalesce(parts[3], '0')::integer);
  IF parts[1] = '-' OR parts[4] = '-' THEN
    number := -number;
  END IF;
  RETURN number;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_text_to_int_alt(value text)
RETURNS integer LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  number numeric := trunc(dwsim_compat.dwsim_rs_teradata_number(value, 'TEXT_TO_INT_ALT'));
BEGIN
  IF number < -2147483648 OR number > 2147483647 THEN
    RAISE EXCEPTION 'TEXT_TO_INT_ALT: the value is out of the INTEGER range';
  END IF;
  RETURN number::integer;
END
$$;

-- Redshift's SUPER array search and set functions (compat/redshift_arrays.py): arrays arrive
-- as json, elements compare as jsonb (numbers by value), NULLs are known objects.
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_array_search(
  a json, v json, null_match boolean, name text)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  wanted jsonb := coalesce(v::jsonb, 'null'::jsonb);
  found jsonb;
BEGIN
  IF a IS NULL OR null_match IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM dwsim_compat.dwsim_rs_array(a, name);
  IF wanted = 'null'::jsonb AND NOT null_match THEN
    RETURN NULL;
  END IF;
  SELECT coalesce(jsonb_agg(e.o - 1 ORDER BY e.o), '[]'::jsonb) INTO found
    FROM json_array_elements(a) WITH ORDINALITY AS e(v, o) WHERE e.v::jsonb = wanted;
  IF found = '[]'::jsonb AND NOT null_match AND EXISTS (
      SELECT 1 FROM json_array_elements(a) AS e(v) WHERE json_typeof(e.v) = 'null') THEN
    RETURN NULL;
  END IF;
  RETURN found;
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_array_contains(
  a json, v json, null_match boolean)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT jsonb_array_length(dwsim_compat.dwsim_rs_array_search(a, v, null_match,
    'ARRAY_CONTAINS')) > 0
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_array_position(
  a json, v json, null_match boolean)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN s IS NOT NULL THEN coalesce((s ->> 0)::integer, -1) END
  FROM (SELECT dwsim_compat.dwsim_rs_array_search(a, v, null_match, 'ARRAY_POSITION') AS s) x
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_array_positions(
  a json, v json, null_match boolean)
RETURNS json LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT dwsim_compat.dwsim_rs_array_search(a, v, null_match, 'ARRAY_POSITIONS')::json
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_arrays_overlap(a json, b json)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF a IS NULL OR b IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM dwsim_compat.dwsim_rs_array(a, 'ARRAYS_OVERLAP');
  PERFORM dwsim_compat.dwsim_rs_array(b, 'ARRAYS_OVERLAP');
  RETURN EXISTS (SELECT 1 FROM json_array_elements(a) AS e(v)
                 JOIN json_array_elements(b) AS f(v) ON e.v::jsonb = f.v::jsonb);
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_array_distinct(a json, name text)
RETURNS json LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF a IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM dwsim_compat.dwsim_rs_array(a, name);
  RETURN (SELECT coalesce(json_agg(e.v ORDER BY e.o), '[]'::json)
          FROM json_array_elements(a) WITH ORDINALITY AS e(v, o)
          WHERE NOT EXISTS (SELECT 1 FROM json_array_elements(a) WITH ORDINALITY AS p(v, o)
                            WHERE p.v::jsonb = e.v::jsonb AND p.o < e.o));
END
$$;

CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_array_union(a json, b json)
RETURNS json LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF a IS NULL OR b IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM dwsim_compat.dwsim_rs_array(a, 'ARRAY_UNION');
  PERFORM dwsim_compat.dwsim_rs_array(b, 'ARRAY_UNION');
  RETURN dwsim_compat.dwsim_rs_array_distinct(
    dwsim_compat.dwsim_rs_array_concat(a, b), 'ARRAY_UNION');
END
$$;

-- INTERSECTION (keep_common) or EXCEPT: the k-th copy of an element of a is common when b
-- holds at least k copies; with is_distinct, a's elements once each.
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_array_multiset(
  a json, b json, is_distinct boolean, keep_common boolean, name text)
RETURNS json LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF a IS NULL OR b IS NULL OR is_distinct IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM dwsim_compat.dwsim_rs_array(a, name);
  PERFORM dwsim_compat.dwsim_rs_array(b, name);
  IF is_distinct THEN
    a := dwsim_compat.dwsim_rs_array_distinct(a, name);
  END IF;
  RETURN (SELECT coalesce(json_agg(e.v ORDER BY e.o), '[]'::json)
    FROM json_array_elements(a) WITH ORDINALITY AS e(v, o)
    WHERE ((SELECT count(*) FROM json_array_elements(a) WITH ORDINALITY AS p(v, o)
            WHERE p.v::jsonb = e.v::jsonb AND p.o < e.o)
           < (SELECT count(*) FROM json_array_elements(b) AS q(v)
              WHERE q.v::jsonb = e.v::jsonb)) = keep_common);
END
$$;

-- Booleans, numbers, strings (the page's type precedence), NULLs last ascending and first
-- descending unless nulls_first says; arrays and objects fail (their order is not given).
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_array_sort(
  a json, ascending boolean, nulls_first boolean)
RETURNS json LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  first boolean := coalesce(nulls_first, NOT ascending);
BEGIN
  IF a IS NULL OR ascending IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM dwsim_compat.dwsim_rs_array(a, 'ARRAY_SORT');
  IF EXISTS (SELECT 1 FROM json_array_elements(a) AS e(v)
             WHERE json_typeof(e.v) IN ('array', 'object')) THEN
    RAISE EXCEPTION 'ARRAY_SORT of an array holding arrays or objects is not carried';
  END IF;
  RETURN (SELECT coalesce(json_agg(s.v ORDER BY
      CASE WHEN s.t <> 'null' THEN 1 WHEN first THEN 0 ELSE 2 END,
      CASE WHEN ascending THEN s.r END, CASE WHEN ascending THEN s.b END,
      CASE WHEN ascending THEN s.n END, CASE WHEN ascending THEN s.x END COLLATE "C",
      CASE WHEN NOT ascending THEN s.r END DESC, CASE WHEN NOT ascending THEN s.b END DESC,
      CASE WHEN NOT ascending THEN s.n END DESC,
      CASE WHEN NOT ascending THEN s.x END COLLATE "C" DESC, s.o), '[]'::json)
    FROM (SELECT e.v, e.o, json_typeof(e.v) AS t,
                 CASE json_typeof(e.v) WHEN 'boolean' THEN 0 WHEN 'number' THEN 1 ELSE 2 END AS r,
                 CASE WHEN json_typeof(e.v) = 'boolean' THEN (e.v #>> '{}')::boolean END AS b,
                 CASE WHEN json_typeof(e.v) = 'number' THEN (e.v #>> '{}')::numeric END AS n,
                 CASE WHEN json_typeof(e.v) = 'string' THEN e.v #>> '{}' END AS x
          FROM json_array_elements(a) WITH ORDINALITY AS e(v, o)) AS s);
END
$$;

-- IS_BIGINT, IS_INTEGER, IS_SMALLINT, IS_DECIMAL, IS_FLOAT, IS_VARCHAR, IS_CHAR of a SUPER
-- value (compat/redshift_super_types.py): false for NULL and other kinds.
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_super_test(value json, name text)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  kind text := json_typeof(value);
  written text := btrim(value::text);
  number numeric;
  bound numeric;
BEGIN
  IF kind IS NULL OR kind = 'null' THEN
    RETURN false;
  END IF;
  IF name IN ('IS_VARCHAR', 'IS_CHAR') THEN
    RETURN kind = 'string' AND (name = 'IS_VARCHAR'
      OR octet_length(value #>> '{}') = char_length(value #>> '{}'));
  END IF;
  IF kind <> 'number' THEN
    RETURN false;
  END IF;
  IF written ~ '[eE]' THEN
    RAISE EXCEPTION '% of a number written with an exponent: whether Redshift holds it as a DECIMAL or a FLOAT is not carried', name;
  END IF;
  number := written::numeric;
  IF name IN ('IS_DECIMAL', 'IS_FLOAT') THEN
    IF written ~ '\.' OR number < -9223372036854775808 OR number > 9223372036854775807 THEN
      RAISE EXCEPTION '% of a number with a fraction or past 64 bits: whether Redshift holds it as a DECIMAL or a FLOAT is not carried', name;
    END IF;
    RETURN name = 'IS_DECIMAL';
  END IF;
  IF written ~ '\.' THEN
    RETURN false;
  END IF;
  bound := CASE name WHEN 'IS_BIGINT' THEN 9223372036854775808
    WHEN 'IS_INTEGER' THEN 2147483648 ELSE 32768 END;
  RETURN number >= -bound AND number < bound;
END
$$;

-- LOWER_ATTRIBUTE_NAMES / UPPER_ATTRIBUTE_NAMES: every object's keys, at every depth (ASCII
-- keys only: lower() and upper() change ASCII letters only here).
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_rs_attribute_names(value json, word text)
RETURNS json LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  name text := upper(word) || '_ATTRIBUTE_NAMES';
BEGIN
  IF value IS NULL THEN
    RETURN NULL;
  END IF;
  IF json_typeof(value) = 'array' THEN
    RETURN (SELECT coalesce(json_agg(dwsim_compat.dwsim_rs_attribute_names(e.v, word)
                                     ORDER BY e.o), '[]'::json)
            FROM json_array_elements(value) WITH ORDINALITY AS e(v, o));
  END IF;
  IF json_typeof(value) <> 'object' THEN
    RETURN value;
  END IF;
  IF EXISTS (SELECT 1 FROM json_each(value) AS e(k, v)
             WHERE octet_length(e.k) <> char_length(e.k)) THEN
    RAISE EXCEPTION '% of a key that is not ASCII is not carried', name;
  END IF;
  IF (SELECT count(DISTINCT CASE WHEN word = 'lower' THEN lower(e.k) ELSE upper(e.k) END)
      <> count(*) FROM json_each(value) AS e(k, v)) THEN
    RAISE EXCEPTION 'SUPER value has duplicate attributes after case conversion';
  END IF;
  RETURN (SELECT coalesce(json_object_agg(
            CASE WHEN word = 'lower' THEN lower(e.k) ELSE upper(e.k) END,
            dwsim_compat.dwsim_rs_attribute_names(e.v, word) ORDER BY e.o), '{}'::json)
          FROM json_each(value) WITH ORDINALITY AS e(k, v, o));
END
$$;

-- PARSE_JSON's text with TRUE, False, NULL... in lower case outside strings (Snowflake reads
-- them in any case); text with none of them written otherwise is returned as it is.
CREATE OR REPLACE FUNCTION dwsim_compat.dwsim_json_literals(value text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF value IS NULL OR regexp_replace(value, '\m(true|false|null)\M', '', 'g') !~* '\m(true|false|null)\M' THEN
    RETURN value;
  END IF;
  RETURN (SELECT string_agg(CASE WHEN r.m[1] LIKE '"%' THEN r.m[1]
                                 ELSE regexp_replace(regexp_replace(regexp_replace(r.m[1],
                                      '\mtrue\M', 'true', 'gi'), '\mfalse\M', 'false', 'gi'),
                                      '\mnull\M', 'null', 'gi') END, '' ORDER BY r.o)
          FROM regexp_matches(value, '"(?:[^"\\]|\\.)*"?|[^"]+', 'g') WITH ORDINALITY AS r(m, o));
END
$$;
