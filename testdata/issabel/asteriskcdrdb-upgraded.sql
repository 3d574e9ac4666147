-- Issabel 4: the `asteriskcdrdb` database of a system whose cdr table predates
-- the current ipbx cdr_mysql_table.sql (upgraded from older Issabel 4 or
-- Elastix). asteriskcdrdb.sql is the fresh-install layout.
--
-- Written from /work/shared/notes/freepbx-issabel.md (the "notes"):
--   section 0.9 and 4.1: ipbx cdr/install.php (lines ~45-80) adds did
--     varchar(50), recordingfile varchar(255) and the caller-id columns cnum,
--     cnam, outbound_cnum, outbound_cnam, dst_cnam as **varchar(40)** (all NOT
--     NULL DEFAULT '') to a cdr table that lacks them, and never adds
--     linkedid, peeraccount or sequence. So an upgraded table has varchar(40)
--     caller-id columns and no linkedid/peeraccount/sequence.
--   The cel table is created by the same install.php with CREATE TABLE IF NOT
--     EXISTS, so it is the one of asteriskcdrdb.sql (see there).
-- Column order: the base columns, then did, recordingfile and the caller-id
-- columns in the order install.php adds them (a stored copy we read).
--
-- Not verified:
--   * the base table (calldate .. userfield) is the classic Asterisk
--     cdr_mysql table, with uniqueid; an older system may lack uniqueid too.
--   * indexes: none of our sources shows the old table's indexes; we keep
--     calldate, dst and accountcode (the classic Asterisk sample table).
--     install.php adds no index for did or recordingfile.
--   * calldate's '0000-00-00 00:00:00' default needs a sql_mode without
--     NO_ZERO_DATE (MariaDB 10.11's default mode, strict, accepts it).

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
  `cnum` varchar(40) NOT NULL DEFAULT '',
  `cnam` varchar(40) NOT NULL DEFAULT '',
  `outbound_cnum` varchar(40) NOT NULL DEFAULT '',
  `outbound_cnam` varchar(40) NOT NULL DEFAULT '',
  `dst_cnam` varchar(40) NOT NULL DEFAULT '',
  KEY `calldate` (`calldate`),
  KEY `dst` (`dst`),
  KEY `accountcode` (`accountcode`)
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
