/// The bench result as an SVG: one panel per metric, a bar per mode (median) with a
/// whisker from the fastest to the slowest run. Hand-written SVG: no plotting library in
/// the allowed package set, and the picture is simple.
public enum BenchChart {
    static let colors = ["vm": "#4e79a7", "gvisor": "#f28e2b", "process": "#59a14f", "host": "#9c9c9c"]

    public static func svg(_ result: IsolationBench.Result, title: String) -> String {
        let metrics = IsolationBench.Metric.allCases
        let panelWidth = 300.0, panelHeight = 230.0, columns = 3
        let rows = (metrics.count + columns - 1) / columns
        let width = panelWidth * Double(columns) + 20, height = panelHeight * Double(rows) + 60
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Int(width / 2))" y="28" text-anchor="middle" font-size="17" font-weight="bold">\(escape(title))</text>

            """
        for (index, metric) in metrics.enumerated() {
            let x0 = 10 + Double(index % columns) * panelWidth, y0 = 50 + Double(index / columns) * panelHeight
            out += panel(metric, result: result, x: x0, y: y0, width: panelWidth - 20, height: panelHeight - 20)
        }
        return out + "</svg>\n"
    }

    static func panel(_ metric: IsolationBench.Metric, result: IsolationBench.Result,
                      x: Double, y: Double, width: Double, height: Double) -> String {
        var out = "<g>\n<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"#fafafa\" stroke=\"#dddddd\"/>\n"
        let better = metric.lowerIsBetter ? "lower is better" : "higher is better"
        out += "<text x=\"\(n(x + width / 2))\" y=\"\(n(y + 18))\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"bold\">\(escape(metric.rawValue))</text>\n"
        out += "<text x=\"\(n(x + width / 2))\" y=\"\(n(y + 33))\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555555\">\(escape(metric.unit)), \(better)</text>\n"
        let bars = result.columns.compactMap { column -> (String, Samples)? in
            guard let s = result.samples[column]?[metric], s.median != nil else { return nil }
            return (column, s)
        }
        guard !bars.isEmpty else {
            return out + "<text x=\"\(n(x + width / 2))\" y=\"\(n(y + height / 2))\" text-anchor=\"middle\" font-size=\"14\" fill=\"#888888\">no data</text>\n</g>\n"
        }
        let top = bars.map { $0.1.max ?? 0 }.max() ?? 1
        let plotTop = y + 48, plotBottom = y + height - 22, plotHeight = plotBottom - plotTop
        let slot = (width - 20) / Double(bars.count)
        for (i, (column, samples)) in bars.enumerated() {
            let scale = { (v: Double) in plotBottom - plotHeight * v / max(top, 1e-9) }
            let bx = x + 10 + Double(i) * slot + slot * 0.2, bw = slot * 0.6
            let median = samples.median ?? 0
            out += "<rect x=\"\(n(bx))\" y=\"\(n(scale(median)))\" width=\"\(n(bw))\" height=\"\(n(plotBottom - scale(median)))\" fill=\"\(colors[column] ?? "#777777")\"/>\n"
            if let lo = samples.min, let hi = samples.max, hi > lo {
                let cx = bx + bw / 2
                out += "<path d=\"M\(n(cx)) \(n(scale(lo)))V\(n(scale(hi)))M\(n(cx - 5)) \(n(scale(lo)))h10M\(n(cx - 5)) \(n(scale(hi)))h10\" stroke=\"#222222\" fill=\"none\"/>\n"
            }
            let decimals = median >= 100 ? 0 : 1
            out += "<text x=\"\(n(bx + bw / 2))\" y=\"\(n(scale(samples.max ?? median) - 4))\" text-anchor=\"middle\" font-size=\"10\">\(median.formatted(decimals: decimals))</text>\n"
            out += "<text x=\"\(n(bx + bw / 2))\" y=\"\(n(plotBottom + 14))\" text-anchor=\"middle\" font-size=\"11\">\(escape(column))</text>\n"
        }
        return out + "</g>\n"
    }

    static func n(_ v: Double) -> String { v.formatted(decimals: 1) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}

extension IsolationBench.Result {
    /// The table `hull bench` prints: median (min–max) per mode, the host's baseline,
    /// and a note per metric on what was run.
    public func markdown(runs: Int) -> String {
        var rows = [["metric"] + columns]
        for metric in IsolationBench.Metric.allCases {
            rows.append(["\(metric.rawValue) (\(metric.unit))"] + columns.map { column in
                if let failure = failures[column], samples[column]?[metric] == nil,
                   column != "host" || [.syscalls, .fileIO, .throughput, .execLatency].contains(metric) {
                    return "failed: \(failure.prefix(60))"
                }
                return samples[column]?[metric]?.formatted(decimals: metric == .syscalls || metric == .coldStart ? 0 : 1) ?? "—"
            })
        }
        var notes = "\nmedian (min–max) of \(runs) run\(runs == 1 ? "" : "s") per mode; host = the probe run directly on the host (baseline)\n"
        for metric in IsolationBench.Metric.allCases { notes += "- \(metric.rawValue): \(metric.workload)\n" }
        return MarkdownTable.render(rows) + notes
    }
}
