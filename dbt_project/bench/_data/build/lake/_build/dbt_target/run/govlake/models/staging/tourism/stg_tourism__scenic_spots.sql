
  
  create view "restricted"."staging"."stg_tourism__scenic_spots__dbt_tmp" as (
    -- GENERATED from the register (resource scenic_spot); cleaning from column meta
with

source as (

    select * from read_parquet('/work/main/bench/_data/build/lake/accepted/scenic_spot/*/*.parquet', hive_partitioning = true, union_by_name = true)

),

normalised as (

    select
        *,
        
    from source

),

renamed as (

    select
        nullif(trim(regexp_replace(case when regexp_matches("spot_code", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("spot_code", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "spot_code" end, '\s+', ' ', 'g')), '') as "spot_code",
        nullif(trim(regexp_replace(case when regexp_matches("spot_name", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("spot_name", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "spot_name" end, '\s+', ' ', 'g')), '') as "spot_name",
        nullif(trim(regexp_replace(case when regexp_matches("a_level", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("a_level", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "a_level" end, '\s+', ' ', 'g')), '') as "a_level",
        try_cast(replace(nullif(upper(regexp_replace(case when regexp_matches("max_capacity", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("max_capacity", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "max_capacity" end, '\s+', '', 'g')), ''), ',', '') as bigint) as "max_capacity",
        nullif(upper(regexp_replace(case when regexp_matches("street_code", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("street_code", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "street_code" end, '\s+', '', 'g')), '') as "street_code",
        "_batch_id",
        "_source_file",
        "_source_row",
        "_ingested_at",
        cast("batch_date" as date) as batch_date,
    from normalised

)

select * from renamed
  );
