import Foundation

/// Paths to the recorded NodeManager fixtures (Tests/Fixtures/yarn-3.3.6) and to repository files.
enum Fixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let recorded = repository.appendingPathComponent("Tests/Fixtures/yarn-3.3.6")

    static func text(_ relative: String) throws -> String {
        try String(contentsOf: recorded.appendingPathComponent(relative), encoding: .utf8)
    }

    static func repositoryText(_ relative: String) throws -> String {
        try String(contentsOf: repository.appendingPathComponent(relative), encoding: .utf8)
    }

    /// argv (without argv[0]) of a recorded invocation.
    static func argv(_ capture: String) throws -> [String] {
        let data = try Data(contentsOf: recorded.appendingPathComponent("invocations/\(capture)/argv.json"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return Array((object?["argv"] as? [String] ?? []).dropFirst())
    }

    static func captures() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: recorded.appendingPathComponent("invocations").path).sorted()
    }
}
