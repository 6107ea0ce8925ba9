import Testing
@testable import HullLibvirt

@Suite("XML escaping")
struct XMLTextTests {
    @Test func escapesTheFiveSpecials() {
        #expect(XMLText.escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;")
        #expect(XMLText.escape("plain /path-1_ok") == "plain /path-1_ok")
        #expect(XMLText.escape("ünïcødé ✓ 🚀") == "ünïcødé ✓ 🚀")
    }

    @Test func unescapeReversesEscape() {
        for text in ["a<b>c&d'e\"f", "&amp; literal", "tab\tnl\ncr\r", "", "no specials", "🚀&🚀"] {
            #expect(XMLText.unescape(XMLText.escape(text)) == text)
        }
        #expect(XMLText.unescape("&#65;&#x42;&unknown;&") == "AB&unknown;&")
    }

    @Test func detectsCharactersXMLCannotCarry() {
        #expect(XMLText.hasInvalidCharacters("a\u{0}b"))
        #expect(XMLText.hasInvalidCharacters("a\nb"))
        #expect(XMLText.hasInvalidCharacters("\u{FFFF}"))
        #expect(!XMLText.hasInvalidCharacters("a b <&> ✓"))
    }

    @Test func metadataAsLibvirtReturnsIt() {
        // virDomainGetMetadata re-serialises the element with double quotes and indentation.
        let fromLibvirt = """
            <hull:container xmlns:hull="https://hull.dev/xmlns/1">
              <hull:id>abc&amp;&lt;1&gt;</hull:id>
            </hull:container>
            """
        #expect(HullMetadata.containerID(fromElement: fromLibvirt) == "abc&<1>")
        #expect(HullMetadata.containerID(fromElement: "<x:container xmlns:x='u'><x:id>q</x:id></x:container>") == "q")
        #expect(HullMetadata.containerID(fromElement: "<hull:container xmlns:hull='u'/>") == nil)
    }
}
