
  
  create view "restricted"."staging"."stg_police__households__dbt_tmp" as (
    -- GENERATED from the register (resource household); cleaning from column meta
with

source as (

    select * from read_parquet('/work/main/bench/_data/build/lake/accepted/household/*/*.parquet', hive_partitioning = true, union_by_name = true)

),

normalised as (

    select
        *,
        
        nullif(upper(regexp_replace(case when regexp_matches("head_citizen_id", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("head_citizen_id", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "head_citizen_id" end, '\s+', '', 'g')), '') as "__head_citizen_id",
    from source

),

renamed as (

    select
        nullif(trim(regexp_replace(case when regexp_matches("household_id", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("household_id", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "household_id" end, '\s+', ' ', 'g')), '') as "household_id",
        coalesce(
        regexp_full_match("__head_citizen_id", '[0-9]{17}[0-9X]')
        and substr("__head_citizen_id", 1, 6) in (
            select code from read_csv('/work/main/catalog/reference/gb2260_division_codes.tsv', delim = '\t', header = true, all_varchar = true)
        )
        and try_strptime(substr("__head_citizen_id", 7, 8), '%Y%m%d')
            between timestamp '1880-01-01' and current_date
        and substr(
            '10X98765432',
            cast((
                (ascii(substr("__head_citizen_id", 1, 1)) - 48) * 7
                + (ascii(substr("__head_citizen_id", 2, 1)) - 48) * 9
                + (ascii(substr("__head_citizen_id", 3, 1)) - 48) * 10
                + (ascii(substr("__head_citizen_id", 4, 1)) - 48) * 5
                + (ascii(substr("__head_citizen_id", 5, 1)) - 48) * 8
                + (ascii(substr("__head_citizen_id", 6, 1)) - 48) * 4
                + (ascii(substr("__head_citizen_id", 7, 1)) - 48) * 2
                + (ascii(substr("__head_citizen_id", 8, 1)) - 48) * 1
                + (ascii(substr("__head_citizen_id", 9, 1)) - 48) * 6
                + (ascii(substr("__head_citizen_id", 10, 1)) - 48) * 3
                + (ascii(substr("__head_citizen_id", 11, 1)) - 48) * 7
                + (ascii(substr("__head_citizen_id", 12, 1)) - 48) * 9
                + (ascii(substr("__head_citizen_id", 13, 1)) - 48) * 10
                + (ascii(substr("__head_citizen_id", 14, 1)) - 48) * 5
                + (ascii(substr("__head_citizen_id", 15, 1)) - 48) * 8
                + (ascii(substr("__head_citizen_id", 16, 1)) - 48) * 4
                + (ascii(substr("__head_citizen_id", 17, 1)) - 48) * 2
            ) % 11 as bigint) + 1,
            1
        ) = substr("__head_citizen_id", 18, 1),
        false
    ) as is_valid_head_citizen_id,
        nullif(trim(regexp_replace(case when regexp_matches("household_type", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("household_type", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "household_type" end, '\s+', ' ', 'g')), '') as "household_type",
        nullif(trim(regexp_replace(case when regexp_matches("address", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("address", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "address" end, '\s+', ' ', 'g')), '') as "address",
        nullif(upper(regexp_replace(case when regexp_matches("street_code", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("street_code", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "street_code" end, '\s+', '', 'g')), '') as "street_code",
        try_cast(replace(nullif(upper(regexp_replace(case when regexp_matches("member_count", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("member_count", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "member_count" end, '\s+', '', 'g')), ''), ',', '') as bigint) as "member_count",
        "head_citizen_id_key",
        "_batch_id",
        "_source_file",
        "_source_row",
        "_ingested_at",
        cast("batch_date" as date) as batch_date,
    from normalised

)

select * from renamed
  );
