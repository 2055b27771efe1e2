-- GENERATED from the register (resource hotel); cleaning from column meta
with

source as (

    select * from read_parquet('/work/main/bench/_data/build/lake/accepted/hotel/*/*.parquet', hive_partitioning = true, union_by_name = true)

),

normalised as (

    select
        *,
        
        nullif(upper(regexp_replace(case when regexp_matches("hotel_code", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("hotel_code", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "hotel_code" end, '\s+', '', 'g')), '') as "__hotel_code",
    from source

),

renamed as (

    select
        "__hotel_code" as "hotel_code",
        coalesce(
        regexp_full_match("__hotel_code", '[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}')
        and substr(
            '0123456789ABCDEFGHJKLMNPQRTUWXY',
            cast((31 - (
                (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 1, 1)) - 1) * 1
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 2, 1)) - 1) * 3
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 3, 1)) - 1) * 9
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 4, 1)) - 1) * 27
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 5, 1)) - 1) * 19
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 6, 1)) - 1) * 26
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 7, 1)) - 1) * 16
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 8, 1)) - 1) * 17
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 9, 1)) - 1) * 20
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 10, 1)) - 1) * 29
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 11, 1)) - 1) * 25
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 12, 1)) - 1) * 13
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 13, 1)) - 1) * 8
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 14, 1)) - 1) * 24
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 15, 1)) - 1) * 10
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 16, 1)) - 1) * 30
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__hotel_code", 17, 1)) - 1) * 28
            ) % 31) % 31 as bigint) + 1,
            1
        ) = substr("__hotel_code", 18, 1),
        false
    ) as is_valid_hotel_code,
        nullif(trim(regexp_replace(case when regexp_matches("hotel_name", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("hotel_name", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "hotel_name" end, '\s+', ' ', 'g')), '') as "hotel_name",
        nullif(trim(regexp_replace(case when regexp_matches("star_rating", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("star_rating", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "star_rating" end, '\s+', ' ', 'g')), '') as "star_rating",
        try_cast(replace(nullif(upper(regexp_replace(case when regexp_matches("rooms", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("rooms", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "rooms" end, '\s+', '', 'g')), ''), ',', '') as bigint) as "rooms",
        try_cast(replace(nullif(upper(regexp_replace(case when regexp_matches("beds", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("beds", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "beds" end, '\s+', '', 'g')), ''), ',', '') as bigint) as "beds",
        nullif(upper(regexp_replace(case when regexp_matches("street_code", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("street_code", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "street_code" end, '\s+', '', 'g')), '') as "street_code",
        "_batch_id",
        "_source_file",
        "_source_row",
        "_ingested_at",
        cast("batch_date" as date) as batch_date,
    from normalised

)

select * from renamed