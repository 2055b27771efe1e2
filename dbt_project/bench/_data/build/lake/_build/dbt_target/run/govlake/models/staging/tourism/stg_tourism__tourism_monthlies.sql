
  
  create view "restricted"."staging"."stg_tourism__tourism_monthlies__dbt_tmp" as (
    -- GENERATED from the register (resource tourism_monthly); cleaning from column meta
with

source as (

    select * from read_parquet('/work/main/bench/_data/build/lake/accepted/tourism_monthly/*/*.parquet', hive_partitioning = true, union_by_name = true)

),

normalised as (

    select
        *,
        
    from source

),

renamed as (

    select
        nullif(trim(regexp_replace(case when regexp_matches("spot_code", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("spot_code", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "spot_code" end, '\s+', ' ', 'g')), '') as "spot_code",
        cast(date_trunc('month', try_strptime(nullif(upper(regexp_replace(case when regexp_matches("month", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("month", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "month" end, '\s+', '', 'g')), ''), ['%Y-%m', '%Y/%m', '%Y%m', '%Y年%m月'])) as date) as "month",
        try_cast(replace(nullif(upper(regexp_replace(case when regexp_matches("visitors", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("visitors", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "visitors" end, '\s+', '', 'g')), ''), ',', '') as bigint) as "visitors",
        try_cast(replace(nullif(upper(regexp_replace(case when regexp_matches("revenue", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("revenue", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "revenue" end, '\s+', '', 'g')), ''), ',', '') as decimal(18, 4)) as "revenue",
        "_batch_id",
        "_source_file",
        "_source_row",
        "_ingested_at",
        cast("batch_date" as date) as batch_date,
    from normalised

)

select * from renamed
  );
