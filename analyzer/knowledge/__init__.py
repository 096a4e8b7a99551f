"""Windows knowledge as data, shared by readers and rules: event field names, well-known SIDs and
accounts in every language, HRESULT codes, the default key-folder ACLs. Imports nothing from the
package but `analyzer.model`; readers and rules import it, never each other."""
