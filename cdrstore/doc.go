// Package cdrstore reads the call detail records PBXes write: the
// Master.csv file of Asterisk's cdr_csv and of FreeSWITCH's mod_cdr_csv
// ([CSV], with a [CSVLayout] for each) and the MySQL/MariaDB cdr table of
// cdr_mysql, FreePBX and Issabel ([SQL]). Both implement pbx.CDRBackend and
// pbx.CDRStatser, with the query filters, cursor paging and statistics of the
// portable API; the asterisk, freepbx, issabel and freeswitch backends take
// one as their CDR source.
//
// # Security
//
// The SQL store never puts a value into SQL text: filters are LIKE
// parameters (pbx.LikePattern escapes the wildcard characters), sorting is
// fixed to the (calldate, uniqueid, sequence) key of the cursor, and only
// column names found in the table and known to the store are selected.
//
// # Concurrency
//
// Both stores are safe for concurrent use.
package cdrstore
