-- Issabel 4: the `asteriskcdrdb` database (cdr and cel) of a *fresh* install.
-- asteriskcdrdb-upgraded.sql has the cdr table of a system upgraded from an
-- older Issabel/Elastix; tests should run against both.
--
-- Written from /work/shared/notes/freepbx-issabel.md (the "notes"):
--   section 4.1 (cdr): ipbx framework/SQL/cdr_mysql_table.sql. On a fresh
--     install it matches FreePBX's cdr column for column (caller-id columns
--     varchar(80); linkedid, peeraccount, sequence present), with the extra
--     indexes on linkedid, sequence and (linkedid, sequence). No primary key;
--     every column NOT NULL with a '' or 0 default.
--   section 0.9 and 4.2 (cel): ipbx framework/SQL/cel_table.sql: appdata
--     varchar(240), then eventextra varchar(255) and userfield varchar(255)
--     (FreePBX: extra varchar(512), no userfield); indexes on uniqueid and
--     linkedid only (no context index).
-- Index names (calldate, dst, accountcode, uniqueid, did, recordingfile,
-- link, ceq, linkseq, uniqueid_index, linkedid_index) are those of a stored
-- copy of ipbx cdr_mysql_table.sql / cel_table.sql that we read.
--
-- Not verified / resolved by us:
--   * cel.appdata: the notes (pinned ipbx master) say varchar(240); the stored
--     copies of cel_table.sql and cdr/install.php we could read say
--     varchar(80). We follow the notes.
--   * cel defaults: section 7 says NOT NULL "with '' or 0 defaults"; every
--     cel CREATE TABLE we read declares NOT NULL *without* defaults. We follow
--     those sources: an INSERT into cel must name every column.
--   * calldate's '0000-00-00 00:00:00' default needs a sql_mode without
--     NO_ZERO_DATE (MariaDB 10.11's default mode, strict, accepts it).
--   * engine and character set: left to the server (the ipbx file says
--     utf8mb4).

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
  KEY `recordingfile` (`recordingfile`),
  KEY `link` (`linkedid`),
  KEY `ceq` (`sequence`),
  KEY `linkseq` (`linkedid`, `sequence`)
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
  `appdata` varchar(240) NOT NULL,
  `amaflags` int NOT NULL,
  `accountcode` varchar(20) NOT NULL,
  `uniqueid` varchar(32) NOT NULL,
  `linkedid` varchar(32) NOT NULL,
  `peer` varchar(80) NOT NULL,
  `userdeftype` varchar(255) NOT NULL,
  `eventextra` varchar(255) NOT NULL,
  `userfield` varchar(255) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `uniqueid_index` (`uniqueid`),
  KEY `linkedid_index` (`linkedid`)
);
