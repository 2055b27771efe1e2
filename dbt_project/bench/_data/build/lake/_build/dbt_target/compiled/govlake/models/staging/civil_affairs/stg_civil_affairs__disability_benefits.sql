-- GENERATED from the register (resource disability_benefit); cleaning from column meta
with

source as (

    select * from read_parquet('/work/main/bench/_data/build/lake/accepted/disability_benefit/*/*.parquet', hive_partitioning = true, union_by_name = true)

),

normalised as (

    select
        *,
        
        nullif(upper(regexp_replace(case when regexp_matches("citizen_id", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("citizen_id", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "citizen_id" end, '\s+', '', 'g')), '') as "__citizen_id",
    from source

),

renamed as (

    select
        coalesce(
        regexp_full_match("__citizen_id", '[0-9]{17}[0-9X]')
        and substr("__citizen_id", 1, 6) in (
            select code from read_csv('/work/main/catalog/reference/gb2260_division_codes.tsv', delim = '\t', header = true, all_varchar = true)
        )
        and try_strptime(substr("__citizen_id", 7, 8), '%Y%m%d')
            between timestamp '1880-01-01' and current_date
        and substr(
            '10X98765432',
            cast((
                (ascii(substr("__citizen_id", 1, 1)) - 48) * 7
                + (ascii(substr("__citizen_id", 2, 1)) - 48) * 9
                + (ascii(substr("__citizen_id", 3, 1)) - 48) * 10
                + (ascii(substr("__citizen_id", 4, 1)) - 48) * 5
                + (ascii(substr("__citizen_id", 5, 1)) - 48) * 8
                + (ascii(substr("__citizen_id", 6, 1)) - 48) * 4
                + (ascii(substr("__citizen_id", 7, 1)) - 48) * 2
                + (ascii(substr("__citizen_id", 8, 1)) - 48) * 1
                + (ascii(substr("__citizen_id", 9, 1)) - 48) * 6
                + (ascii(substr("__citizen_id", 10, 1)) - 48) * 3
                + (ascii(substr("__citizen_id", 11, 1)) - 48) * 7
                + (ascii(substr("__citizen_id", 12, 1)) - 48) * 9
                + (ascii(substr("__citizen_id", 13, 1)) - 48) * 10
                + (ascii(substr("__citizen_id", 14, 1)) - 48) * 5
                + (ascii(substr("__citizen_id", 15, 1)) - 48) * 8
                + (ascii(substr("__citizen_id", 16, 1)) - 48) * 4
                + (ascii(substr("__citizen_id", 17, 1)) - 48) * 2
            ) % 11 as bigint) + 1,
            1
        ) = substr("__citizen_id", 18, 1),
        false
    ) as is_valid_citizen_id,
        nullif(trim(regexp_replace(case when regexp_matches("disability_category", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("disability_category", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "disability_category" end, '\s+', ' ', 'g')), '') as "disability_category",
        nullif(trim(regexp_replace(case when regexp_matches("disability_grade", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("disability_grade", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "disability_grade" end, '\s+', ' ', 'g')), '') as "disability_grade",
        nullif(trim(regexp_replace(case when regexp_matches("benefit_type", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("benefit_type", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "benefit_type" end, '\s+', ' ', 'g')), '') as "benefit_type",
        try_cast(replace(nullif(upper(regexp_replace(case when regexp_matches("monthly_amount", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("monthly_amount", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "monthly_amount" end, '\s+', '', 'g')), ''), ',', '') as decimal(18, 4)) as "monthly_amount",
        cast(try_strptime(nullif(trim(regexp_replace(case when regexp_matches("start_date", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("start_date", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "start_date" end, '\s+', ' ', 'g')), ''), ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d', '%Y年%m月%d日', '%Y.%m.%d']) as date) as "start_date",
        "citizen_id_key",
        "_batch_id",
        "_source_file",
        "_source_row",
        "_ingested_at",
        cast("batch_date" as date) as batch_date,
    from normalised

)

select * from renamed