
  
  create view "restricted"."staging"."stg_hrss__social_insurance_enrolments__dbt_tmp" as (
    -- GENERATED from the register (resource social_insurance_enrolment); cleaning from column meta
with

source as (

    select * from read_parquet('/work/main/bench/_data/build/lake/accepted/social_insurance_enrolment/*/*.parquet', hive_partitioning = true, union_by_name = true)

),

normalised as (

    select
        *,
        
        nullif(upper(regexp_replace(case when regexp_matches("citizen_id", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("citizen_id", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "citizen_id" end, '\s+', '', 'g')), '') as "__citizen_id",
        nullif(upper(regexp_replace(case when regexp_matches("employer_credit_code", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("employer_credit_code", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "employer_credit_code" end, '\s+', '', 'g')), '') as "__employer_credit_code",
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
        nullif(trim(regexp_replace(case when regexp_matches("employment_status", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("employment_status", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "employment_status" end, '\s+', ' ', 'g')), '') as "employment_status",
        "__employer_credit_code" as "employer_credit_code",
        coalesce(
        regexp_full_match("__employer_credit_code", '[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}')
        and substr(
            '0123456789ABCDEFGHJKLMNPQRTUWXY',
            cast((31 - (
                (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 1, 1)) - 1) * 1
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 2, 1)) - 1) * 3
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 3, 1)) - 1) * 9
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 4, 1)) - 1) * 27
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 5, 1)) - 1) * 19
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 6, 1)) - 1) * 26
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 7, 1)) - 1) * 16
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 8, 1)) - 1) * 17
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 9, 1)) - 1) * 20
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 10, 1)) - 1) * 29
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 11, 1)) - 1) * 25
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 12, 1)) - 1) * 13
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 13, 1)) - 1) * 8
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 14, 1)) - 1) * 24
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 15, 1)) - 1) * 10
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 16, 1)) - 1) * 30
                + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr("__employer_credit_code", 17, 1)) - 1) * 28
            ) % 31) % 31 as bigint) + 1,
            1
        ) = substr("__employer_credit_code", 18, 1),
        false
    ) as is_valid_employer_credit_code,
        nullif(trim(regexp_replace(case when regexp_matches("insurance_types", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("insurance_types", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "insurance_types" end, '\s+', ' ', 'g')), '') as "insurance_types",
        cast(try_strptime(nullif(trim(regexp_replace(case when regexp_matches("enrolled_since", '[\x{FF01}-\x{FF5E}\x{3000}]') then translate("enrolled_since", '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ') else "enrolled_since" end, '\s+', ' ', 'g')), ''), ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d', '%Y年%m月%d日', '%Y.%m.%d']) as date) as "enrolled_since",
        "citizen_id_key",
        "_batch_id",
        "_source_file",
        "_source_row",
        "_ingested_at",
        cast("batch_date" as date) as batch_date,
    from normalised

)

select * from renamed
  );
