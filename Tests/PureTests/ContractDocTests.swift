import Foundation
import RuntimeBase
import Testing

/// docs/contract.md and ExitCode.swift must agree: same names, same numbers, nothing missing.
@Suite struct ContractDocTests {
    @Test("docs/contract.md lists every exit code with its number")
    func exitCodeTable() throws {
        let doc = try Fixtures.repositoryText("docs/contract.md")
        var documented: [String: Int32] = [:]
        for line in doc.split(separator: "\n") where line.hasPrefix("| ") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2, let number = Int32(cells[0]), cells[1].hasPrefix("`") else { continue }
            documented[cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = number
        }
        for code in ExitCode.allCases {
            #expect(documented["\(code)"] == code.rawValue, "\(code) in docs/contract.md")
        }
        #expect(documented.count == ExitCode.allCases.count)
    }
}
