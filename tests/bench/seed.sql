-- Seeds 10,000 data connectors in 50 categories for the scale check (issue 4).
-- Portable to MariaDB and MySQL 8 (no SEQUENCE engine, no deep recursion): the numbers
-- come from a cross join of digit lists. Safe to run twice: names are unique, rows are
-- INSERT IGNOREd. Usage: mariadb dcgate < tests/bench/seed.sql
CREATE TEMPORARY TABLE bench_seq (n INT NOT NULL PRIMARY KEY);
INSERT INTO bench_seq (n)
SELECT a.d * 1000 + b.d * 100 + c.d * 10 + e.d + 1
FROM (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
      UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8
      UNION ALL SELECT 9) a,
     (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
      UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8
      UNION ALL SELECT 9) b,
     (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
      UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8
      UNION ALL SELECT 9) c,
     (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
      UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8
      UNION ALL SELECT 9) e;

-- 50 categories; every tenth one inactive.
INSERT IGNORE INTO categories (name, status, created_at, updated_at)
SELECT CONCAT('Bench Category ', LPAD(n, 2, '0')),
       IF(n % 10 = 0, 'inactive', 'active'),
       NOW() - INTERVAL (100 - n) DAY, NOW() - INTERVAL (100 - n) DAY
FROM bench_seq WHERE n <= 50;

-- 10,000 connectors with varied descriptions, creation and change times.
INSERT IGNORE INTO connectors (name, description, auth_type, created_at, updated_at)
SELECT CONCAT('Bench Connector ', LPAD(n, 5, '0')),
       CONCAT(ELT(1 + n % 5, 'Reads orders from', 'Writes invoices to', 'Syncs contacts with',
                  'Looks up weather in', 'Posts tickets to'),
              ' system ', n % 97, ' for region ', ELT(1 + n % 4, 'north', 'south', 'east', 'west')),
       ELT(1 + n % 5, 'none', 'basic', 'bearer', 'oauth2_password', 'oauth2_client_credentials'),
       NOW() - INTERVAL n MINUTE, NOW() - INTERVAL (n * 7919) % 10007 MINUTE
FROM bench_seq;

-- Each connector in one category, every third one in a second category too.
INSERT IGNORE INTO connector_categories (connector_id, category_id)
SELECT c.id, cat.id
FROM bench_seq s
JOIN connectors c ON c.name = CONCAT('Bench Connector ', LPAD(s.n, 5, '0'))
JOIN categories cat ON cat.name = CONCAT('Bench Category ', LPAD(1 + s.n % 50, 2, '0'));

INSERT IGNORE INTO connector_categories (connector_id, category_id)
SELECT c.id, cat.id
FROM bench_seq s
JOIN connectors c ON c.name = CONCAT('Bench Connector ', LPAD(s.n, 5, '0'))
JOIN categories cat ON cat.name = CONCAT('Bench Category ', LPAD(1 + (s.n * 7) % 50, 2, '0'))
WHERE s.n % 3 = 0;

-- One endpoint for every fourth connector, so the list shows endpoint counts.
INSERT IGNORE INTO endpoints (connector_id, purpose, description, method, url, body, sample_data)
SELECT c.id, 'List', '', 'GET', CONCAT('https://api.example.com/v1/items?page=', s.n), '', ''
FROM bench_seq s
JOIN connectors c ON c.name = CONCAT('Bench Connector ', LPAD(s.n, 5, '0'))
WHERE s.n % 4 = 0;

DROP TEMPORARY TABLE bench_seq;
ANALYZE TABLE categories, connectors, connector_categories, endpoints;
