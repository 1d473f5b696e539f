-- The reader-facing schema (idempotent). {schema} is replaced by the quoted schema name (default dei).
-- Readers query {schema}.<table>: views over the current release's rows in {schema}_store (switched by one
-- pointer row per publish), {schema}.release_info and the table {schema}.releases. Views read with their
-- owner's rights, so dei_reader needs no access to {schema}_store itself (and has none).
create schema if not exists {schema} authorization dei_publisher;

revoke all on schema {schema} from public;
grant usage on schema {schema} to dei_reader;
grant select on all tables in schema {schema} to dei_reader;
alter default privileges for role dei_publisher in schema {schema} grant select on tables to dei_reader;
