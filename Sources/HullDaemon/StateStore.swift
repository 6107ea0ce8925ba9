import Foundation
import GRDB
import HullAPI

/// One container as hulld keeps it (table `container`).
struct ContainerRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "container"

    var id: String
    var name: String
    var image: String
    var state: ContainerState
    var createdAt: Date
    var startedAt: Date?
    var finishedAt: Date?
    var exitCode: Int32?
    var exitReason: String?
    var domain: String
    var isolation: String
    /// The create request, as JSON: everything needed to start (again) the same container.
    var request: CreateContainerRequest
    /// The agent stream of the main process while it runs.
    var mainStream: Int64?
    /// The manifest digest the image resolved to at create: a start runs that image even
    /// when its tag has moved since (as Docker does), and `image rm` names this container.
    /// nil for `--rootfs` and for records of hulld before it kept this (migration v2).
    var imageDigest: String? = nil
    /// The last run ended with an OOM kill in the container (migration v3).
    var oomKilled: Bool = false

    var info: ContainerInfo {
        ContainerInfo(id: id, name: name, image: image, command: request.command, state: state,
                      createdAt: createdAt, startedAt: startedAt, finishedAt: finishedAt, exitCode: exitCode,
                      exitReason: exitReason, oomKilled: oomKilled, domain: domain, isolation: isolation, tty: request.tty,
                      openStdin: request.openStdin, request: request)
    }
}

/// hulld's state: SQLite through GRDB, with migrations. Every lifecycle transition is
/// written here before hulld acts on it, so a crash at any point leaves a state the next
/// start reconciles (ContainerManager.reconcile).
final class StateStore: Sendable {
    private let db: DatabaseQueue

    init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(5)
        // Every create request (environment included) is stored here: root's alone, and
        // SQLite gives its journal the database's mode.
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        _ = chmod(path, 0o600)
        db = try DatabaseQueue(path: path, configuration: config)
        try StateStore.migrator.migrate(db)
    }

    /// In memory, for unit tests of pure logic.
    init() throws {
        db = try DatabaseQueue()
        try StateStore.migrator.migrate(db)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: containers") { db in
            try db.create(table: "container") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull().unique()
                t.column("image", .text).notNull()
                t.column("state", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("startedAt", .datetime)
                t.column("finishedAt", .datetime)
                t.column("exitCode", .integer)
                t.column("exitReason", .text)
                t.column("domain", .text).notNull()
                t.column("isolation", .text).notNull()
                t.column("request", .jsonText).notNull()
                t.column("mainStream", .integer)
            }
        }
        m.registerMigration("v2: image digest") { db in
            try db.alter(table: "container") { t in t.add(column: "imageDigest", .text) }
        }
        m.registerMigration("v3: oomKilled") { db in
            try db.alter(table: "container") { t in
                t.add(column: "oomKilled", .boolean).notNull().defaults(to: false)
            }
        }
        return m
    }

    func insert(_ record: ContainerRecord) throws {
        try db.write { try record.insert($0) }
    }

    func save(_ record: ContainerRecord) throws {
        try db.write { try record.update($0) }
    }

    /// Reads, changes and writes one record in a single write transaction, so that no
    /// other writer (the exit watcher, a stop) can slip between the read and the write
    /// and have its change overwritten. nil when there is no such record.
    func update<T>(id: String, _ change: (inout ContainerRecord) throws -> T) throws -> T? {
        try db.write { db in
            guard var record = try ContainerRecord.fetchOne(db, key: id) else { return nil }
            let before = record
            let result = try change(&record)
            if record != before { try record.update(db) }
            return result
        }
    }

    func delete(id: String) throws {
        _ = try db.write { try ContainerRecord.deleteOne($0, key: id) }
    }

    func all() throws -> [ContainerRecord] {
        try db.read { try ContainerRecord.order(Column("createdAt")).fetchAll($0) }
    }

    /// By full id, unique id prefix or name (Docker's rule).
    func find(_ reference: String) throws -> ContainerRecord? {
        try db.read { db in
            if let exact = try ContainerRecord.fetchOne(db, key: reference) { return exact }
            if let named = try ContainerRecord.filter(Column("name") == reference).fetchOne(db) { return named }
            guard reference.count >= 3, reference.allSatisfy(\.isHexDigit) else { return nil }
            let matches = try ContainerRecord.filter(Column("id").like("\(reference)%")).limit(2).fetchAll(db)
            return matches.count == 1 ? matches[0] : nil
        }
    }

    func nameTaken(_ name: String) throws -> Bool {
        try db.read { try ContainerRecord.filter(Column("name") == name).fetchCount($0) > 0 }
    }
}
