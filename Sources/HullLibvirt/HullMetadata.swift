/// Hull's element in a domain's `<metadata>`:
/// `<hull:container xmlns:hull='https://hull.dev/xmlns/1'><hull:id>…</hull:id></hull:container>`.
public enum HullMetadata {
    public static let namespaceURI = "https://hull.dev/xmlns/1"
    public static let prefix = "hull"

    static func element(containerID: String) -> String {
        "<\(prefix):container xmlns:\(prefix)='\(namespaceURI)'><\(prefix):id>\(XMLText.escape(containerID))</\(prefix):id></\(prefix):container>"
    }

    /// The id from the element libvirt hands back (`virDomainGetMetadata`), which
    /// libvirt re-serialises with its own quoting and indentation; the prefix may differ.
    static func containerID(fromElement xml: String) -> String? {
        var rest = Substring(xml)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { return nil }
            let tag = rest[rest.index(after: open)..<close]
            rest = rest[rest.index(after: close)...]
            let localName = tag.split(separator: ":").last ?? tag
            guard localName == "id" else { continue }
            guard let end = rest.firstIndex(of: "<") else { return nil }
            return XMLText.unescape(String(rest[..<end]))
        }
        return nil
    }
}
