-- The framework's declared reporting range: a submission for a year outside it is refused at ingest.
-- 2015 is before the earliest data; the current year + 1 lets a plan year be filed early but refuses
-- typos such as 2031.
select 2015 as first_year, year(current_date) + 1 as last_year
