-- Roles for the published DEI tables (idempotent; run by index/targets/postgres.py before each publish, or
-- by a DBA once). dei_publisher owns the schemas <schema> and <schema>_store and writes them; dei_reader
-- can only read <schema>.
-- Both are group roles without login: grant them to login roles, e.g. `grant dei_reader to dashboard;`.
-- No password or secret lives here: connections come from DEI_POSTGRES_DSN or the Airflow connection.
select pg_advisory_xact_lock(hashtext('dei_postgres_roles'));

do $$
begin
    if not exists (select from pg_roles where rolname = 'dei_publisher') then
        create role dei_publisher nologin;
    end if;
    if not exists (select from pg_roles where rolname = 'dei_reader') then
        create role dei_reader nologin;
    end if;
    -- the publisher creates <schema>_store
    if not has_database_privilege('dei_publisher', current_database(), 'CREATE') then
        execute format('grant create on database %I to dei_publisher', current_database());
    end if;
end
$$;
