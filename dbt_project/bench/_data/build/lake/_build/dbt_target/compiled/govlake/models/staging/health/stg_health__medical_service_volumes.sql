-- GENERATED from the register (resource medical_service_volume); cleaning from column meta
with

source as (

    select * from read_parquet('/work/main/bench/_data/build/lake/accepted/medical_service_volume/*/*.parquet', hive_partitioning = true, union_by_name = true)

),

normalised as (

    select
        *,
        
        nullif(upper(regexp_replace(case when regexp_matches("institution_code", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("institution_code", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "institution_code" end, '\s+', '', 'g')), '') as "__institution_code",
    from source

),

renamed as (

    select
        "__institution_code" as "institution_code",
        coalesce(
        regexp_full_match("__institution_code", '[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}')
        and substr(
            '0123456789ABCDEFGHJKLMNPQRTUWXY',
            cast((31 - (
                (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 1, 1)) - 1) * 1
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 2, 1)) - 1) * 3
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 3, 1)) - 1) * 9
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 4, 1)) - 1) * 27
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 5, 1)) - 1) * 19
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 6, 1)) - 1) * 26
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 7, 1)) - 1) * 16
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 8, 1)) - 1) * 17
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 9, 1)) - 1) * 20
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 10, 1)) - 1) * 29
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 11, 1)) - 1) * 25
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 12, 1)) - 1) * 13
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 13, 1)) - 1) * 8
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 14, 1)) - 1) * 24
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 15, 1)) - 1) * 10
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 16, 1)) - 1) * 30
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__institution_code", 17, 1)) - 1) * 28
            ) % 31) % 31 as bigint) + 1,
            1
        ) = substr("__institution_code", 18, 1),
        false
    ) as is_valid_institution_code,
        cast(date_trunc('month', try_strptime(nullif(upper(regexp_replace(case when regexp_matches("month", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("month", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "month" end, '\s+', '', 'g')), ''), ['%Y-%m', '%Y/%m', '%Y%m', '%Y年%m月'])) as date) as "month",
        try_cast(replace(nullif(upper(regexp_replace(case when regexp_matches("outpatient_visits", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("outpatient_visits", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "outpatient_visits" end, '\s+', '', 'g')), ''), ',', '') as bigint) as "outpatient_visits",
        try_cast(replace(nullif(upper(regexp_replace(case when regexp_matches("inpatient_discharges", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("inpatient_discharges", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "inpatient_discharges" end, '\s+', '', 'g')), ''), ',', '') as bigint) as "inpatient_discharges",
        try_cast(replace(nullif(upper(regexp_replace(case when regexp_matches("bed_days", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("bed_days", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "bed_days" end, '\s+', '', 'g')), ''), ',', '') as bigint) as "bed_days",
        "_batch_id",
        "_source_file",
        "_source_row",
        "_ingested_at",
        cast("batch_date" as date) as batch_date,
    from normalised

)

select * from renamed