import A0CLI

@main
struct Main {
  static func main() { A0Main.main() }
}
