package esltest

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
)

// xmlNameValue is a <variable> of a directory user.
type xmlNameValue struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// xmlUserFile is a directory user file: <include><user id="...">.
type xmlUserFile struct {
	Users []struct {
		ID        string         `xml:"id,attr"`
		Variables []xmlNameValue `xml:"variables>variable"`
	} `xml:"user"`
}

// preprocessVar is the XML preprocessor's $${name} syntax.
var preprocessVar = regexp.MustCompile(`\$\$\{([^}]*)\}`)

// loadUsersLocked builds the directory from Options.Users and the files of
// Options.Directory (s.mu held, or not yet shared). On error the directory
// is left as it was, as a failed reloadxml leaves the old configuration.
func (sw *switchState) loadUsersLocked() error {
	o := sw.s.opts
	users := make([]*User, 0, len(o.Users))
	for _, u := range o.Users {
		users = append(users, withDefaults(u))
	}
	if o.Directory != "" {
		files, err := filepath.Glob(filepath.Join(o.Directory, "*.xml"))
		if err != nil {
			return err
		}
		slices.Sort(files)
		for _, f := range files {
			fileUsers, err := sw.readUserFile(f)
			if err != nil {
				return err
			}
			for _, u := range fileUsers {
				users = slices.DeleteFunc(users, func(x *User) bool { return x.ID == u.ID })
				users = append(users, u)
			}
		}
	}
	sw.users = users
	return nil
}

// readUserFile reads one directory file, expanding $${var} first.
func (sw *switchState) readUserFile(path string) ([]*User, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	data = preprocessVar.ReplaceAllFunc(data, func(m []byte) []byte {
		name := string(preprocessVar.FindSubmatch(m)[1])
		for _, h := range sw.globals {
			if h.Name == name {
				return []byte(h.Value)
			}
		}
		return nil
	})
	var f xmlUserFile
	if err := xml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	var out []*User
	for _, x := range f.Users {
		if x.ID == "" {
			return nil, fmt.Errorf("%s: a user without an id", filepath.Base(path))
		}
		u := User{ID: x.ID}
		for _, v := range x.Variables {
			switch v.Name {
			case "user_context":
				u.Context = v.Value
			case "callgroup":
				u.CallGroup = v.Value
			case "effective_caller_id_name":
				u.CIDName = v.Value
			case "effective_caller_id_number":
				u.CIDNumber = v.Value
			}
		}
		out = append(out, withDefaults(u))
	}
	return out, nil
}
