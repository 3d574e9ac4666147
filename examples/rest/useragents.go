package main

import "regexp"

// The phone types of the survey, as the document's example names them.
const (
	typeSoftphone = "softphone"
	typeIPPhone   = "ip_phone"
	typeATA       = "ata"
)

// uaRule recognises one family of SIP user agents. Rules are tried in order,
// so specific ones (a vendor's adapters, a vendor's softphone) come before
// the vendor's general rule.
type uaRule struct {
	re    *regexp.Regexp
	kind  string
	brand string
}

func rule(pattern, kind, brand string) uaRule {
	return uaRule{re: regexp.MustCompile(`(?i)` + pattern), kind: kind, brand: brand}
}

var uaRules = []uaRule{
	// Analog telephone adapters.
	rule(`\bgrandstream\b.*\bHT-?\d`, typeATA, "Grandstream"),
	rule(`^HT\d{3}\b`, typeATA, "Grandstream"),
	rule(`\bcisco/SPA(1\d\d|2\d\d|3\d{3}|8000)`, typeATA, "Cisco"),
	rule(`\bcisco\s*ATA`, typeATA, "Cisco"),
	rule(`\blinksys/(PAP2|SPA(1\d\d|2\d\d|3\d{3}))`, typeATA, "Linksys"),
	rule(`\bOBi(1\d\d|2\d\d|3\d\d)\b`, typeATA, "Obihai"),
	rule(`\bfanvil\b.*\b(F|X)?A\d`, typeATA, "Fanvil"),
	rule(`\baudiocodes\b.*\bMP-?1\d\d`, typeATA, "AudioCodes"),
	rule(`\bdinstar\b`, typeATA, "Dinstar"),

	// Softphones (before the hardware vendors that also make one).
	rule(`\bgrandstream wave\b|\bwave[ _]?lite\b`, typeSoftphone, "Grandstream"),
	rule(`\blinphone`, typeSoftphone, "Linphone"),
	rule(`^Z \d|\bzoiper`, typeSoftphone, "Zoiper"),
	rule(`\bmicrosip\b`, typeSoftphone, "MicroSIP"),
	rule(`\b(bria|x-lite|eyebeam|counterpath)\b`, typeSoftphone, "CounterPath"),
	rule(`\b(groundwire|acrobits)\b`, typeSoftphone, "Acrobits"),
	rule(`\bsipnetic\b`, typeSoftphone, "Sipnetic"),
	rule(`\bjitsi\b`, typeSoftphone, "Jitsi"),
	rule(`\bblink\b`, typeSoftphone, "Blink"),
	rule(`\bportsip\b`, typeSoftphone, "PortSIP"),
	rule(`\bcsipsimple\b`, typeSoftphone, "CSipSimple"),
	rule(`\bbaresip\b`, typeSoftphone, "baresip"),
	rule(`\bpjsua\b|\bpjsip\b`, typeSoftphone, "PJSIP"),
	rule(`\b3cx ?phone\b|^3CX`, typeSoftphone, "3CX"),
	rule(`\b(ekiga|twinkle|sipdroid|sessiontalk|onesip)\b|^telephone\b`, typeSoftphone, "Other softphone"),

	// Desk and DECT phones.
	rule(`\byealink\b`, typeIPPhone, "Yealink"),
	rule(`\bpoly(com)?`, typeIPPhone, "Polycom"),
	rule(`\bcisco\b`, typeIPPhone, "Cisco"),
	rule(`\bgrandstream\b|^(GXP|GRP|DP|WP|GXV)\d`, typeIPPhone, "Grandstream"),
	rule(`\bsnom`, typeIPPhone, "Snom"),
	rule(`\bfanvil\b`, typeIPPhone, "Fanvil"),
	rule(`\bOBi\d{4}\b|\bobihai\b`, typeIPPhone, "Obihai"),
	rule(`\bgigaset\b`, typeIPPhone, "Gigaset"),
	rule(`\bpanasonic\b|^KX-`, typeIPPhone, "Panasonic"),
	rule(`\baastra\b|\bmitel\b`, typeIPPhone, "Mitel"),
	rule(`\bavaya\b`, typeIPPhone, "Avaya"),
	rule(`\bhtek\b`, typeIPPhone, "Htek"),
	rule(`\balcatel\b`, typeIPPhone, "Alcatel"),
	rule(`\bakuvox\b`, typeIPPhone, "Akuvox"),
}

// classifyUserAgent returns the phone type and brand of a SIP User-Agent, or
// false if no rule knows it.
func classifyUserAgent(ua string) (kind, brand string, ok bool) {
	for _, r := range uaRules {
		if r.re.MatchString(ua) {
			return r.kind, r.brand, true
		}
	}
	return "", "", false
}
