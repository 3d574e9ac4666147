-- FreePBX 16: the `asterisk` database, as far as a pbxkit backend touches it.
--
-- Written column for column from /work/shared/notes/freepbx-issabel.md (the
-- "notes"), whose source short names are used below:
--   section 7 (column lists per table), from
--     core16 module.xml (admin, users, devices, sip, pjsip, iax, dahdi,
--       trunks, trunk_dialpatterns, incoming, outbound_route*, globals);
--     core13 install.php (emergencydevices, created in 13.0);
--     fw module.xml @001f1d26 (admin, freepbx_settings);
--     fmf16 module.xml (findmefollow, also section 2.1);
--     q16 module.xml (queues_config, queues_details, also section 2.2);
--     conf16 module.xml (meetme, also section 2.4);
--     rg16 module.xml (ringgroups, also section 2.5);
--     vm16 (voicemail_admin, section 2.3);
--     ipbx manager/install.php (manager: the notes took its columns from
--       Issabel; section 5);
--     FreePBX/arimanager Arimanager.class.php (arimanager, section 5);
--   section 0 item 3 and section 1.1: users and devices have no primary key,
--     only non-unique indexes on users.extension, devices.id, devices.tech;
--   section 2.2: queues_details PRIMARY KEY (id, keyword, data);
--   section 3.1: admin.need_reload;
--   section 5: the freepbx_settings keywords seeded below; fw
--     installlib/SQL/asterisk.sql sets ASTSIPDRIVER=chan_pjsip on a new install.
-- Type mapping: module.xml `string` -> varchar, `boolean` -> tinyint(1),
-- `integer` -> int. A column is NOT NULL unless the notes mark it nullable; a
-- DEFAULT is written only where the notes give one.
--
-- Not verified (the notes do not say, or say so themselves):
--   * engine, character set and collation: left to the server (the test
--     database is created utf8mb4); index names are ours except where the
--     notes' sources name them;
--   * the manager table's FreePBX-only extra columns (the notes give the
--     Issabel schema and say the FreePBX extras were not checked);
--   * emergencydevices: the notes give no defaults and no indexes, so none;
--   * incoming has no primary key and no index in the notes, so none;
--   * seed rows: admin.version '16.0.40' stands for "some 16.0.x";
--     need_reload is 'false' (the state after an Apply Config; fw
--     installlib/SQL/asterisk.sql inserts 'true' on a brand-new install);
--     freepbx_settings rows fill only keyword, value, name, type, category
--     and defaultval (the other metadata columns keep their defaults). Only
--     the keywords and values matter to a backend: name, type and category
--     are plausible labels (those of MIXMON_DIR and HTTP* are the ones ipbx
--     core/install.php uses, which FreePBX inherited), and a defaultval is
--     given only where section 5 (or the manager.conf template) states it;
--     booleans are stored as '1'/'0' (not checked against freepbx_conf);
--   * HTTPENABLED/HTTPBINDPORT are seeded as well because ARI needs the
--     Asterisk HTTP server (section 5); they are not in the brief's list.
-- The seeded credentials are fake test values. They match the AMI and ARI
-- users of testdata/asterisk (asterisktest), so a backend reading them can
-- reach a test Asterisk once a test updates ASTMANAGERPORT to its port.

-- ---------------------------------------------------------------- core ----

CREATE TABLE `admin` (
  `variable` varchar(20) NOT NULL,
  `value` varchar(80) NOT NULL,
  PRIMARY KEY (`variable`)
);

CREATE TABLE `users` (
  `extension` varchar(20) NOT NULL DEFAULT '',
  `password` varchar(20) DEFAULT NULL,
  `name` varchar(50) DEFAULT NULL,
  `voicemail` varchar(50) DEFAULT NULL,
  `ringtimer` int DEFAULT NULL,
  `noanswer` varchar(100) DEFAULT NULL,
  `recording` varchar(50) DEFAULT NULL,
  `outboundcid` varchar(50) DEFAULT NULL,
  `sipname` varchar(50) DEFAULT NULL,
  `noanswer_cid` varchar(20) NOT NULL DEFAULT '',
  `busy_cid` varchar(20) NOT NULL DEFAULT '',
  `chanunavail_cid` varchar(20) NOT NULL DEFAULT '',
  `noanswer_dest` varchar(255) NOT NULL DEFAULT '',
  `busy_dest` varchar(255) NOT NULL DEFAULT '',
  `chanunavail_dest` varchar(255) NOT NULL DEFAULT '',
  `mohclass` varchar(80) DEFAULT 'default',
  KEY `extension` (`extension`)
);

CREATE TABLE `devices` (
  `id` varchar(20) NOT NULL DEFAULT '',
  `tech` varchar(10) NOT NULL DEFAULT '',
  `dial` varchar(255) NOT NULL DEFAULT '',
  `devicetype` varchar(5) NOT NULL DEFAULT '',
  `user` varchar(50) DEFAULT NULL,
  `description` varchar(50) DEFAULT NULL,
  `emergency_cid` varchar(100) DEFAULT NULL,
  `hint_override` varchar(100) DEFAULT NULL,
  KEY `id` (`id`),
  KEY `tech` (`tech`)
);

CREATE TABLE `emergencydevices` (
  `id` varchar(20) NOT NULL,
  `tech` varchar(10) NOT NULL,
  `dial` varchar(255) NOT NULL,
  `devicetype` varchar(10) DEFAULT NULL,
  `user` varchar(50) DEFAULT NULL,
  `description` varchar(100) DEFAULT NULL,
  `emergency_cid` varchar(100) DEFAULT NULL,
  `hint_override` varchar(100) DEFAULT NULL
);

-- Extensions of both chan_sip and chan_pjsip (sections 0.1, 1.1): one row
-- per keyword, flags from 2 (flags = 1 means disabled, section 0.2).
CREATE TABLE `sip` (
  `id` varchar(20) NOT NULL DEFAULT '-1',
  `keyword` varchar(30) NOT NULL DEFAULT '',
  `data` varchar(8100) NOT NULL,
  `flags` int NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`, `keyword`)
);

-- PJSIP trunks only (section 0.1).
CREATE TABLE `pjsip` (
  `id` varchar(20) NOT NULL DEFAULT '-1',
  `keyword` varchar(30) NOT NULL,
  `data` varchar(8100) NOT NULL,
  `flags` int NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`, `keyword`)
);

CREATE TABLE `iax` (
  `id` varchar(20) NOT NULL,
  `keyword` varchar(30) NOT NULL,
  `data` varchar(255) NOT NULL,
  `flags` int NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`, `keyword`)
);

CREATE TABLE `dahdi` (
  `id` varchar(20) NOT NULL,
  `keyword` varchar(30) NOT NULL,
  `data` varchar(255) NOT NULL DEFAULT '',
  `flags` int NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`, `keyword`)
);

CREATE TABLE `trunks` (
  `trunkid` int NOT NULL DEFAULT 0,
  `name` varchar(50) NOT NULL DEFAULT '',
  `tech` varchar(20) NOT NULL,
  `outcid` varchar(255) NOT NULL DEFAULT '',
  `keepcid` varchar(4) DEFAULT 'off',
  `maxchans` varchar(6) DEFAULT '',
  `failscript` varchar(255) NOT NULL DEFAULT '',
  `dialoutprefix` varchar(255) NOT NULL DEFAULT '',
  `channelid` varchar(190) NOT NULL DEFAULT '',
  `usercontext` varchar(255) DEFAULT NULL,
  `provider` varchar(40) DEFAULT NULL,
  `disabled` varchar(4) DEFAULT 'off',
  `continue` varchar(4) DEFAULT 'off',
  `routedisplay` varchar(4) DEFAULT 'on',
  PRIMARY KEY (`trunkid`, `tech`, `channelid`)
);

CREATE TABLE `trunk_dialpatterns` (
  `trunkid` int NOT NULL,
  `match_pattern_prefix` varchar(50) NOT NULL,
  `match_pattern_pass` varchar(50) NOT NULL,
  `prepend_digits` varchar(50) NOT NULL,
  `seq` int NOT NULL,
  PRIMARY KEY (`trunkid`, `match_pattern_prefix`, `match_pattern_pass`, `prepend_digits`, `seq`)
);

-- Inbound routes (DIDs); an extension destination is from-did-direct,<ext>,1.
CREATE TABLE `incoming` (
  `cidnum` varchar(50) DEFAULT NULL,
  `extension` varchar(50) NOT NULL,
  `destination` varchar(50) DEFAULT NULL,
  `privacyman` tinyint(1) DEFAULT NULL,
  `alertinfo` varchar(255) DEFAULT NULL,
  `ringing` varchar(20) DEFAULT NULL,
  `fanswer` varchar(20) DEFAULT NULL,
  `mohclass` varchar(80) NOT NULL DEFAULT 'default',
  `description` varchar(80) DEFAULT NULL,
  `grppre` varchar(80) DEFAULT NULL,
  `delay_answer` int DEFAULT NULL,
  `pricid` varchar(20) DEFAULT NULL,
  `pmmaxretries` varchar(2) DEFAULT NULL,
  `pmminlength` varchar(2) DEFAULT NULL,
  `reversal` varchar(10) DEFAULT NULL,
  `rvolume` varchar(2) DEFAULT '',
  `indication_zone` varchar(20) DEFAULT 'default'
);

CREATE TABLE `outbound_routes` (
  `route_id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(40) DEFAULT NULL,
  `outcid` varchar(255) DEFAULT NULL,
  `outcid_mode` varchar(20) DEFAULT NULL,
  `password` varchar(30) DEFAULT NULL,
  `emergency_route` varchar(4) DEFAULT NULL,
  `intracompany_route` varchar(4) DEFAULT NULL,
  `mohclass` varchar(80) DEFAULT NULL,
  `time_group_id` int DEFAULT NULL,
  `dest` varchar(255) DEFAULT NULL,
  `time_mode` varchar(20) DEFAULT NULL,
  `calendar_id` varchar(255) DEFAULT NULL,
  `calendar_group_id` varchar(255) DEFAULT NULL,
  `timezone` varchar(255) DEFAULT NULL,
  `notification_on` varchar(255) DEFAULT 'call',
  PRIMARY KEY (`route_id`)
);

CREATE TABLE `outbound_route_patterns` (
  `route_id` int NOT NULL,
  `match_pattern_prefix` varchar(60) NOT NULL,
  `match_pattern_pass` varchar(60) NOT NULL,
  `match_cid` varchar(60) NOT NULL,
  `prepend_digits` varchar(100) NOT NULL,
  PRIMARY KEY (`route_id`, `match_pattern_prefix`, `match_pattern_pass`, `match_cid`, `prepend_digits`)
);

CREATE TABLE `outbound_route_trunks` (
  `route_id` int NOT NULL,
  `trunk_id` int NOT NULL,
  `seq` int NOT NULL,
  PRIMARY KEY (`route_id`, `trunk_id`, `seq`)
);

CREATE TABLE `outbound_route_sequence` (
  `route_id` int NOT NULL,
  `seq` int NOT NULL,
  PRIMARY KEY (`route_id`, `seq`)
);

CREATE TABLE `outbound_route_email` (
  `route_id` int NOT NULL,
  `emailfrom` varchar(320) DEFAULT NULL,
  `emailto` varchar(320) DEFAULT NULL,
  `emailsubject` text DEFAULT NULL,
  `emailbody` text DEFAULT NULL,
  PRIMARY KEY (`route_id`)
);

CREATE TABLE `freepbx_settings` (
  `keyword` varchar(50) NOT NULL,
  `value` varchar(255) DEFAULT NULL,
  `name` varchar(80) DEFAULT NULL,
  `level` tinyint DEFAULT NULL,
  `description` text DEFAULT NULL,
  `type` varchar(25) DEFAULT NULL,
  `options` text DEFAULT NULL,
  `defaultval` varchar(255) DEFAULT NULL,
  `readonly` tinyint DEFAULT NULL,
  `hidden` tinyint DEFAULT NULL,
  `category` varchar(50) DEFAULT NULL,
  `module` varchar(25) DEFAULT NULL,
  `emptyok` tinyint DEFAULT 1,
  `sortorder` int DEFAULT 0,
  PRIMARY KEY (`keyword`)
);

CREATE TABLE `globals` (
  `variable` varchar(190) NOT NULL,
  `value` varchar(255) NOT NULL,
  PRIMARY KEY (`variable`)
);

-- Extra AMI users ("Asterisk Manager Users" module -> manager_additional.conf).
CREATE TABLE `manager` (
  `manager_id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(15) NOT NULL,
  `secret` varchar(50) DEFAULT NULL,
  `deny` varchar(255) DEFAULT NULL,
  `permit` varchar(255) DEFAULT NULL,
  `read` varchar(255) DEFAULT NULL,
  `write` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`manager_id`)
);

-- Extra ARI users (arimanager module -> ari_additional.conf).
CREATE TABLE `arimanager` (
  `id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(15) NOT NULL,
  `password` varchar(255) DEFAULT NULL,
  `password_format` varchar(255) DEFAULT NULL,
  `read_only` int NOT NULL DEFAULT 1,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`)
);

-- ------------------------------------------------------ feature modules ----

CREATE TABLE `findmefollow` (
  `grpnum` varchar(20) NOT NULL,
  `strategy` varchar(50) NOT NULL,
  `grptime` smallint NOT NULL,
  `grppre` varchar(100) DEFAULT NULL,
  `grplist` varchar(255) NOT NULL,
  `annmsg_id` int DEFAULT NULL,
  `postdest` varchar(255) DEFAULT NULL,
  `dring` varchar(255) DEFAULT NULL,
  `rvolume` varchar(2) DEFAULT NULL,
  `remotealert_id` int DEFAULT NULL,
  `needsconf` varchar(10) DEFAULT NULL,
  `toolate_id` int DEFAULT NULL,
  `pre_ring` smallint NOT NULL DEFAULT 0,
  `ringing` varchar(80) DEFAULT NULL,
  `calendar_enable` tinyint(1) DEFAULT 0,
  `calendar_id` varchar(80) DEFAULT '',
  `calendar_group_id` varchar(80) DEFAULT '',
  `calendar_match` varchar(4) DEFAULT 'yes',
  PRIMARY KEY (`grpnum`)
);

CREATE TABLE `ringgroups` (
  `grpnum` varchar(20) NOT NULL,
  `strategy` varchar(50) NOT NULL,
  `grptime` smallint NOT NULL,
  `grppre` varchar(100) DEFAULT NULL,
  `grplist` varchar(255) NOT NULL,
  `annmsg_id` int DEFAULT NULL,
  `postdest` varchar(255) DEFAULT NULL,
  `description` varchar(35) NOT NULL,
  `alertinfo` varchar(255) DEFAULT NULL,
  `remotealert_id` int DEFAULT NULL,
  `needsconf` varchar(10) DEFAULT NULL,
  `toolate_id` int DEFAULT NULL,
  `ringing` varchar(80) DEFAULT NULL,
  `cwignore` varchar(10) DEFAULT NULL,
  `cfignore` varchar(10) DEFAULT NULL,
  `cpickup` varchar(10) DEFAULT NULL,
  `recording` varchar(10) DEFAULT 'dontcare',
  `progress` varchar(10) DEFAULT NULL,
  `elsewhere` varchar(10) DEFAULT NULL,
  `rvolume` varchar(2) NOT NULL DEFAULT '',
  PRIMARY KEY (`grpnum`)
);

CREATE TABLE `queues_config` (
  `extension` varchar(20) NOT NULL,
  `descr` varchar(35) NOT NULL DEFAULT '',
  `grppre` varchar(100) NOT NULL DEFAULT '',
  `alertinfo` varchar(254) NOT NULL DEFAULT '',
  `ringing` tinyint(1) NOT NULL DEFAULT 0,
  `maxwait` varchar(8) NOT NULL DEFAULT '',
  `password` varchar(20) NOT NULL DEFAULT '',
  `ivr_id` varchar(8) NOT NULL DEFAULT '0',
  `dest` varchar(50) NOT NULL DEFAULT '',
  `cwignore` tinyint(1) NOT NULL DEFAULT 0,
  `queuewait` tinyint(1) DEFAULT 0,
  `use_queue_context` tinyint(1) DEFAULT 0,
  `togglehint` tinyint(1) DEFAULT 0,
  `qnoanswer` tinyint(1) DEFAULT 0,
  `callconfirm` tinyint(1) DEFAULT 0,
  `callconfirm_id` int DEFAULT NULL,
  `qregex` varchar(255) DEFAULT NULL,
  `agentannounce_id` int DEFAULT NULL,
  `joinannounce_id` int DEFAULT NULL,
  `monitor_type` varchar(5) DEFAULT NULL,
  `monitor_heard` int DEFAULT NULL,
  `monitor_spoken` int DEFAULT NULL,
  `callback_id` varchar(8) NOT NULL DEFAULT '',
  PRIMARY KEY (`extension`)
);

-- Keyword rows of each queue; several `member` rows per queue are possible
-- because data is part of the primary key (section 2.2).
CREATE TABLE `queues_details` (
  `id` varchar(45) NOT NULL DEFAULT '-1',
  `keyword` varchar(30) NOT NULL DEFAULT '',
  `data` varchar(150) NOT NULL DEFAULT '',
  `flags` int NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`, `keyword`, `data`)
);

CREATE TABLE `meetme` (
  `exten` varchar(50) NOT NULL,
  `options` varchar(15) DEFAULT NULL,
  `userpin` varchar(50) DEFAULT NULL,
  `adminpin` varchar(50) DEFAULT NULL,
  `description` varchar(50) DEFAULT NULL,
  `joinmsg_id` int DEFAULT NULL,
  `music` varchar(80) DEFAULT NULL,
  `users` smallint unsigned DEFAULT 0,
  `language` varchar(10) NOT NULL DEFAULT '',
  `timeout` int unsigned DEFAULT 21600,
  PRIMARY KEY (`exten`)
);

-- Global voicemail settings only; mailboxes live in voicemail.conf (2.3).
CREATE TABLE `voicemail_admin` (
  `variable` varchar(30) NOT NULL,
  `value` varchar(80) NOT NULL,
  PRIMARY KEY (`variable`)
);

-- ----------------------------------------------------------- seed rows ----

INSERT INTO `admin` (`variable`, `value`) VALUES
  ('need_reload', 'false'),
  ('version', '16.0.40');

INSERT INTO `freepbx_settings` (`keyword`, `value`, `name`, `type`, `category`, `defaultval`) VALUES
  ('AMPMGRUSER', 'pbxkit', 'Asterisk Manager User', 'text', 'Asterisk Manager', 'admin'),
  ('AMPMGRPASS', 'pbxkit-ami-secret', 'Asterisk Manager Password', 'text', 'Asterisk Manager', 'amp111'),
  ('ASTMANAGERHOST', '127.0.0.1', 'Asterisk Manager Host', 'text', 'Asterisk Manager', 'localhost'),
  ('ASTMANAGERPORT', '5038', 'Asterisk Manager Port', 'int', 'Asterisk Manager', '5038'),
  ('ASTSIPDRIVER', 'chan_pjsip', 'SIP Channel Driver', 'select', 'Dialplan and Operational', NULL),
  ('MIXMON_DIR', '', 'Override Call Recording Location', 'dir', 'Directory Layout', ''),
  ('ASTSPOOLDIR', '/var/spool/asterisk', 'Asterisk Spool Dir', 'dir', 'Directory Layout', '/var/spool/asterisk'),
  ('HTTPENABLED', '1', 'Enable the mini-HTTP Server', 'bool', 'Asterisk Builtin mini-HTTP server', '0'),
  ('HTTPBINDPORT', '8088', 'HTTP Bind Port', 'int', 'Asterisk Builtin mini-HTTP server', '8088'),
  ('ENABLE_ARI', '1', 'Enable the Asterisk REST Interface', 'bool', 'Asterisk REST Interface', '0'),
  ('FPBX_ARI_USER', 'pbxkit', 'ARI Username', 'text', 'Asterisk REST Interface', 'freepbxuser'),
  ('FPBX_ARI_PASSWORD', 'pbxkit-ari-secret', 'ARI Password', 'text', 'Asterisk REST Interface', NULL);
