namespace ResNetRealtime.Tests; using NUnit.Framework; public class SmokeTests { [Test] public void Builds() => Assert.That(1 + 1, Is.EqualTo(2)); }
