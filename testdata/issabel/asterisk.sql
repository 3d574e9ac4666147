-- Issabel 4 (IssabelPBX 2.11 fork): the `asterisk` database, as far as a
-- pbxkit backend touches it.
--
-- Written column for column from /work/shared/notes/freepbx-issabel.md (the
-- "notes"): section 7 (its bracketed Issabel differences) and sections 1.4,
-- 2.1-2.5, 3.1, 5, with these sources (short names of the notes):
--   ipbx framework/SQL/newinstall.sql: admin, users (extension PRIMARY KEY),
--     devices (id PRIMARY KEY, dial varchar(50), no hint_override), sip (data
--     varchar(255), PRIMARY KEY (id, keyword)), iax, dahdi, pjsipsettings,
--     issabelpbx_settings (same columns as FreePBX's freepbx_settings),
--     globals (variable varchar(155));
--   ipbx core/install.php: the non-unique index on devices.tech;
--   ipbx queues/install.php: queues_config.extension varchar(45) and
--     destcontinue; ipbx findmefollow/install.php: no rvolume, no calendar_*;
--   conferences (section 2.4): meetme without language/timeout, users tinyint;
--   ringgroups (section 2.5): no progress, elsewhere, rvolume;
--   ipbx manager/install.php (manager); ipbx voicemail/install.php
--     (voicemail_admin).
-- Tables FreePBX has and Issabel does not: emergencydevices (FreePBX 13+),
-- pjsip (Issabel keeps PJSIP trunks in `sip` as pjsip-<id>/tr-reg-<id>,
-- section 0.1), arimanager, outbound_route_email; freepbx_settings is
-- issabelpbx_settings here. Issabel's legacy `extensions` table (section 2.6)
-- is left out: no backend reads it.
--
-- Resolved by us, from stored copies of ipbx read while writing this file
-- (not at the notes' pinned commit), because the notes only give the *names*
-- of these tables for Issabel (section 2.6):
--   * trunks: outcid varchar(40), channelid varchar(255), no routedisplay;
--   * incoming: cidnum varchar(20), has faxexten, faxemail, answer, wait, no
--     fanswer, reversal, rvolume, indication_zone (ipbx core/install.php adds
--     none of those);
--   * outbound_routes: outcid varchar(40), no time_mode, calendar_*,
--     timezone, notification_on.
-- Not verified:
--   * two generations of ipbx newinstall.sql exist. The older one (a 2011
--     mysqldump, MyISAM/latin1) declares users, devices and sip with the ''
--     defaults written here. A newer utf8mb4 one (the one with pjsipsettings
--     and globals varchar(155), admin version 2.13.0.0) declares users.*_cid,
--     *_dest and mohclass nullable without defaults, and devices/sip columns
--     NOT NULL without defaults. We follow the notes (the older defaults); a
--     writer must therefore not rely on column defaults on a real Issabel,
--     and a reader must accept NULL in users.*_cid/*_dest.
--   * engine, character set and collation: left to the server; index names
--     are ours except where the sources name them.
--   * seed rows: admin.version '2.11.0.0' is a placeholder (module_admin
--     rewrites it on install); need_reload is 'false' (after Apply Config);
--     issabelpbx_settings rows fill keyword, value, name, type, category,
--     defaultval (and level/readonly/emptyok where ipbx core/install.php
--     shows them: MIXMON_DIR, HTTP*); the other names/categories are plausible
--     labels, not checked. No ASTSIPDRIVER or ARI settings: the notes document
--     neither for Issabel.
-- The seeded credentials are fake test values matching testdata/asterisk
-- (asterisktest); a test updates ASTMANAGERPORT to its Asterisk's port.

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
  PRIMARY KEY (`extension`)
);

CREATE TABLE `devices` (
  `id` varchar(20) NOT NULL DEFAULT '',
  `tech` varchar(10) NOT NULL DEFAULT '',
  `dial` varchar(50) NOT NULL DEFAULT '',
  `devicetype` varchar(5) NOT NULL DEFAULT '',
  `user` varchar(50) DEFAULT NULL,
  `description` varchar(50) DEFAULT NULL,
  `emergency_cid` varchar(100) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `tech` (`tech`)
);

-- Extensions of chan_sip and chan_pjsip, and PJSIP trunks (section 0.1).
CREATE TABLE `sip` (
  `id` varchar(20) NOT NULL DEFAULT '-1',
  `keyword` varchar(30) NOT NULL DEFAULT '',
  `data` varchar(255) NOT NULL,
  `flags` int NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`, `keyword`)
);

-- Global PJSIP settings, not per extension (section 1.4).
CREATE TABLE `pjsipsettings` (
  `keyword` varchar(50) NOT NULL,
  `data` varchar(255) NOT NULL,
  `seq` tinyint(1) NOT NULL DEFAULT 1,
  `type` tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (`keyword`, `seq`, `type`)
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
  `outcid` varchar(40) NOT NULL DEFAULT '',
  `keepcid` varchar(4) DEFAULT 'off',
  `maxchans` varchar(6) DEFAULT '',
  `failscript` varchar(255) NOT NULL DEFAULT '',
  `dialoutprefix` varchar(255) NOT NULL DEFAULT '',
  `channelid` varchar(255) NOT NULL DEFAULT '',
  `usercontext` varchar(255) DEFAULT NULL,
  `provider` varchar(40) DEFAULT NULL,
  `disabled` varchar(4) DEFAULT 'off',
  `continue` varchar(4) DEFAULT 'off',
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
  `cidnum` varchar(20) DEFAULT NULL,
  `extension` varchar(50) NOT NULL,
  `destination` varchar(50) DEFAULT NULL,
  `faxexten` varchar(20) DEFAULT NULL,
  `faxemail` varchar(50) DEFAULT NULL,
  `answer` tinyint(1) DEFAULT NULL,
  `wait` int DEFAULT NULL,
  `privacyman` tinyint(1) DEFAULT NULL,
  `alertinfo` varchar(255) DEFAULT NULL,
  `ringing` varchar(20) DEFAULT NULL,
  `mohclass` varchar(80) NOT NULL DEFAULT 'default',
  `description` varchar(80) DEFAULT NULL,
  `grppre` varchar(80) DEFAULT NULL,
  `delay_answer` int DEFAULT NULL,
  `pricid` varchar(20) DEFAULT NULL,
  `pmmaxretries` varchar(2) DEFAULT NULL,
  `pmminlength` varchar(2) DEFAULT NULL
);

CREATE TABLE `outbound_routes` (
  `route_id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(40) DEFAULT NULL,
  `outcid` varchar(40) DEFAULT NULL,
  `outcid_mode` varchar(20) DEFAULT NULL,
  `password` varchar(30) DEFAULT NULL,
  `emergency_route` varchar(4) DEFAULT NULL,
  `intracompany_route` varchar(4) DEFAULT NULL,
  `mohclass` varchar(80) DEFAULT NULL,
  `time_group_id` int DEFAULT NULL,
  `dest` varchar(255) DEFAULT NULL,
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

CREATE TABLE `issabelpbx_settings` (
  `keyword` varchar(50) NOT NULL,
  `value` varchar(255) DEFAULT NULL,
  `name` varchar(80) DEFAULT NULL,
  `level` tinyint(1) DEFAULT NULL,
  `description` text DEFAULT NULL,
  `type` varchar(25) DEFAULT NULL,
  `options` text DEFAULT NULL,
  `defaultval` varchar(255) DEFAULT NULL,
  `readonly` tinyint(1) DEFAULT NULL,
  `hidden` tinyint(1) DEFAULT NULL,
  `category` varchar(50) DEFAULT NULL,
  `module` varchar(25) DEFAULT NULL,
  `emptyok` tinyint(1) DEFAULT 1,
  `sortorder` int DEFAULT 0,
  PRIMARY KEY (`keyword`)
);

CREATE TABLE `globals` (
  `variable` varchar(155) NOT NULL,
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
  `remotealert_id` int DEFAULT NULL,
  `needsconf` varchar(10) DEFAULT NULL,
  `toolate_id` int DEFAULT NULL,
  `pre_ring` smallint NOT NULL DEFAULT 0,
  `ringing` varchar(80) DEFAULT NULL,
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
  PRIMARY KEY (`grpnum`)
);

CREATE TABLE `queues_config` (
  `extension` varchar(45) NOT NULL,
  `descr` varchar(35) NOT NULL DEFAULT '',
  `grppre` varchar(100) NOT NULL DEFAULT '',
  `alertinfo` varchar(254) NOT NULL DEFAULT '',
  `ringing` tinyint(1) NOT NULL DEFAULT 0,
  `maxwait` varchar(8) NOT NULL DEFAULT '',
  `password` varchar(20) NOT NULL DEFAULT '',
  `ivr_id` varchar(8) NOT NULL DEFAULT '0',
  `dest` varchar(50) NOT NULL DEFAULT '',
  `destcontinue` varchar(50) NOT NULL DEFAULT '',
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
  `users` tinyint DEFAULT 0,
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
  ('version', '2.11.0.0');

-- The one row the newer ipbx newinstall.sql inserts.
INSERT INTO `pjsipsettings` (`keyword`, `data`, `seq`, `type`) VALUES
  ('allowguest', 'no', 10, 0);

INSERT INTO `issabelpbx_settings` (`keyword`, `value`, `name`, `type`, `category`, `defaultval`, `level`, `readonly`, `emptyok`) VALUES
  ('AMPMGRUSER', 'pbxkit', 'Asterisk Manager User', 'text', 'Asterisk Manager', 'admin', NULL, NULL, 1),
  ('AMPMGRPASS', 'pbxkit-ami-secret', 'Asterisk Manager Password', 'text', 'Asterisk Manager', 'amp111', NULL, NULL, 1),
  ('ASTMANAGERHOST', '127.0.0.1', 'Asterisk Manager Host', 'text', 'Asterisk Manager', 'localhost', NULL, NULL, 1),
  ('ASTMANAGERPORT', '5038', 'Asterisk Manager Port', 'int', 'Asterisk Manager', '5038', NULL, NULL, 1),
  ('MIXMON_DIR', '', 'Override Call Recording Location', 'dir', 'Directory Layout', '', 9, 1, 1),
  ('ASTSPOOLDIR', '/var/spool/asterisk', 'Asterisk Spool Dir', 'dir', 'Directory Layout', '/var/spool/asterisk', NULL, NULL, 1),
  ('HTTPENABLED', '1', 'Enable the mini-HTTP Server', 'bool', 'Asterisk Builtin mini-HTTP server', '0', 1, 0, 0),
  ('HTTPBINDPORT', '8088', 'HTTP Bind Port', 'int', 'Asterisk Builtin mini-HTTP server', '8088', 2, 0, 0);
