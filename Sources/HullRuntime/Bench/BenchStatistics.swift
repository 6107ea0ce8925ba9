/// A metric's samples: median and spread.
public struct Samples: Sendable, Equatable {
    public var values: [Double]

    public init(_ values: [Double]) {
        self.values = values
    }

    public var median: Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    public var min: Double? { values.min() }
    public var max: Double? { values.max() }

    /// "12.3 (11.0–14.2)"; a single sample has no spread.
    public func formatted(decimals: Int = 1) -> String {
        guard let median, let min, let max else { return "—" }
        func f(_ v: Double) -> String { v.formatted(decimals: decimals) }
        return values.count == 1 ? f(median) : "\(f(median)) (\(f(min))–\(f(max)))"
    }
}

extension Double {
    /// Fixed decimals without Foundation's locale-dependent formatting.
    func formatted(decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (self * scale).rounded() / scale
        var text = "\(rounded)"
        if let dot = text.firstIndex(of: ".") {
            let have = text.distance(from: dot, to: text.endIndex) - 1
            if decimals == 0 { text = String(text[..<dot]) } else if have < decimals {
                text += String(repeating: "0", count: decimals - have)
            }
        } else if decimals > 0 {
            text += "." + String(repeating: "0", count: decimals)
        }
        return text
    }
}
