/// Escaping for text and attribute values in generated XML.
enum XMLText {
    /// Escapes the five XML specials. Tab, newline and carriage return become character
    /// references so they survive attribute-value normalisation. Characters XML 1.0
    /// cannot carry at all (NUL and other C0 controls, U+FFFE/U+FFFF) become U+FFFD:
    /// `render` never produces a document libvirt can't parse; `DomainSpec.validate()`
    /// reports such input as an error instead.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "'": out += "&apos;"
            case "\"": out += "&quot;"
            case "\t": out += "&#9;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            default:
                out.unicodeScalars.append(isAllowed(scalar) ? scalar : "\u{FFFD}")
            }
        }
        return out
    }

    static func hasInvalidCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { !isAllowed($0) || $0 == "\t" || $0 == "\n" || $0 == "\r" }
    }

    /// XML 1.0 `Char`, minus nothing: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
    /// (Swift scalars are never surrogates.)
    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD: true
        case 0x20...0xFFFD: true
        case 0x10000...0x10FFFF: true
        default: false
        }
    }

    /// Reverses `escape` for the entities libvirt writes back (the five predefined ones
    /// and numeric references).
    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else { break }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "apos": out += "'"
            case "quot": out += "\""
            default:
                let scalar: Unicode.Scalar? =
                    if entity.hasPrefix("#x") { UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init) }
                    else if entity.hasPrefix("#") { UInt32(entity.dropFirst()).flatMap(Unicode.Scalar.init) }
                    else { nil }
                if let scalar { out.unicodeScalars.append(scalar) } else { out += rest[amp...semi] }
            }
            rest = rest[rest.index(after: semi)...]
        }
        out += rest
        return out
    }
}
