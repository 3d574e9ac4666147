-- FreePBX 16: the `asteriskcdrdb` database (cdr and cel tables).
--
-- Written from /work/shared/notes/freepbx-issabel.md (the "notes"):
--   section 4.1 (cdr): the base table of fw installlib/SQL/cdr.sql plus the
--     columns the cdr module adds (cdr16 install.php: cnum, cnam,
--     outbound_cnum, outbound_cnam, dst_cnam as varchar(80); linkedid,
--     peeraccount, sequence) and its recordingfile index. No primary key;
--     every column NOT NULL with a '' or 0 default.
--   section 4.2 (cel): cel16 install.php; `extra` varchar(512), appdata
--     varchar(1024), no userfield; indexes on uniqueid, linkedid, context.
--   section 7: "Neither has a PK except cel.id".
-- The database and table names are settings (CDRDBNAME, CDRDBTABLENAME,
-- CELDBNAME, ...); a backend must not hard-code them.
--
-- Not verified / resolved by us:
--   * cel defaults: section 7 says all columns are NOT NULL "with '' or 0
--     defaults", but every cel CREATE TABLE we could read (stored copies of
--     FreePBX/cel install.php and of Issabel's cel_table.sql) declares the
--     columns NOT NULL *without* a default. We follow those sources: an
--     INSERT into cel must name every column.
--   * index names: calldate, dst, accountcode, uniqueid, did come from fw
--     cdr.sql; the name of the recordingfile index is ours; cel index names
--     (uniqueid_index, linkedid_index, context_index) come from cel
--     install.php.
--   * calldate's '0000-00-00 00:00:00' default needs a sql_mode without
--     NO_ZERO_DATE (MariaDB 10.11's default mode, strict, accepts it).
--   * engine and character set: left to the server.

CREATE TABLE `cdr` (
  `calldate` datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  `clid` varchar(80) NOT NULL DEFAULT '',
  `src` varchar(80) NOT NULL DEFAULT '',
  `dst` varchar(80) NOT NULL DEFAULT '',
  `dcontext` varchar(80) NOT NULL DEFAULT '',
  `channel` varchar(80) NOT NULL DEFAULT '',
  `dstchannel` varchar(80) NOT NULL DEFAULT '',
  `lastapp` varchar(80) NOT NULL DEFAULT '',
  `lastdata` varchar(80) NOT NULL DEFAULT '',
  `duration` int NOT NULL DEFAULT 0,
  `billsec` int NOT NULL DEFAULT 0,
  `disposition` varchar(45) NOT NULL DEFAULT '',
  `amaflags` int NOT NULL DEFAULT 0,
  `accountcode` varchar(20) NOT NULL DEFAULT '',
  `uniqueid` varchar(32) NOT NULL DEFAULT '',
  `userfield` varchar(255) NOT NULL DEFAULT '',
  `did` varchar(50) NOT NULL DEFAULT '',
  `recordingfile` varchar(255) NOT NULL DEFAULT '',
  `cnum` varchar(80) NOT NULL DEFAULT '',
  `cnam` varchar(80) NOT NULL DEFAULT '',
  `outbound_cnum` varchar(80) NOT NULL DEFAULT '',
  `outbound_cnam` varchar(80) NOT NULL DEFAULT '',
  `dst_cnam` varchar(80) NOT NULL DEFAULT '',
  `linkedid` varchar(32) NOT NULL DEFAULT '',
  `peeraccount` varchar(80) NOT NULL DEFAULT '',
  `sequence` int NOT NULL DEFAULT 0,
  KEY `calldate` (`calldate`),
  KEY `dst` (`dst`),
  KEY `accountcode` (`accountcode`),
  KEY `uniqueid` (`uniqueid`),
  KEY `did` (`did`),
  KEY `recordingfile` (`recordingfile`)
);

CREATE TABLE `cel` (
  `id` int NOT NULL AUTO_INCREMENT,
  `eventtype` varchar(30) NOT NULL,
  `eventtime` datetime NOT NULL,
  `cid_name` varchar(80) NOT NULL,
  `cid_num` varchar(80) NOT NULL,
  `cid_ani` varchar(80) NOT NULL,
  `cid_rdnis` varchar(80) NOT NULL,
  `cid_dnid` varchar(80) NOT NULL,
  `exten` varchar(80) NOT NULL,
  `context` varchar(80) NOT NULL,
  `channame` varchar(80) NOT NULL,
  `appname` varchar(80) NOT NULL,
  `appdata` varchar(1024) NOT NULL,
  `amaflags` int NOT NULL,
  `accountcode` varchar(20) NOT NULL,
  `uniqueid` varchar(32) NOT NULL,
  `linkedid` varchar(32) NOT NULL,
  `peer` varchar(80) NOT NULL,
  `userdeftype` varchar(255) NOT NULL,
  `extra` varchar(512) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `uniqueid_index` (`uniqueid`),
  KEY `linkedid_index` (`linkedid`),
  KEY `context_index` (`context`)
);
