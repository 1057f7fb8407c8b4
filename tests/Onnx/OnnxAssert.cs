// Structural equality of two OnnxModels over every modelled field, with a path in the failure message.
using NUnit.Framework;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Tests.Onnx;

internal static class OnnxAssert
{
    public static void ModelsEqual(OnnxModel a, OnnxModel e)
    {
        Assert.That(a.IrVersion, Is.EqualTo(e.IrVersion), "ir_version");
        Assert.That(a.ProducerName, Is.EqualTo(e.ProducerName), "producer_name");
        Assert.That(a.ProducerVersion, Is.EqualTo(e.ProducerVersion), "producer_version");
        Assert.That(a.Domain, Is.EqualTo(e.Domain), "domain");
        Assert.That(a.ModelVersion, Is.EqualTo(e.ModelVersion), "model_version");
        Assert.That(a.DocString, Is.EqualTo(e.DocString), "doc_string");
        Assert.That(a.OpsetImports.Select(o => o.ToString()), Is.EqualTo(e.OpsetImports.Select(o => o.ToString())), "opset_import");
        Assert.That(a.MetadataProps, Is.EqualTo(e.MetadataProps), "metadata_props");
        var ga = a.Graph; var ge = e.Graph;
        Assert.That(ga.Name, Is.EqualTo(ge.Name), "graph.name");
        Assert.That(ga.DocString, Is.EqualTo(ge.DocString), "graph.doc_string");
        ValueInfosEqual(ga.Inputs, ge.Inputs, "graph.input");
        ValueInfosEqual(ga.Outputs, ge.Outputs, "graph.output");
        ValueInfosEqual(ga.ValueInfo, ge.ValueInfo, "graph.value_info");
        Assert.That(ga.Initializers, Has.Count.EqualTo(ge.Initializers.Count), "initializer count");
        for (int i = 0; i < ge.Initializers.Count; i++) TensorsEqual(ga.Initializers[i], ge.Initializers[i], $"initializer[{i}]");
        Assert.That(ga.Nodes, Has.Count.EqualTo(ge.Nodes.Count), "node count");
        for (int i = 0; i < ge.Nodes.Count; i++)
        {
            var na = ga.Nodes[i]; var ne = ge.Nodes[i]; string p = $"node[{i}] '{ne.Name}'";
            Assert.That(na.Name, Is.EqualTo(ne.Name), p);
            Assert.That(na.OpType, Is.EqualTo(ne.OpType), p);
            Assert.That(na.Domain, Is.EqualTo(ne.Domain), p);
            Assert.That(na.DocString, Is.EqualTo(ne.DocString), p);
            Assert.That(na.Inputs, Is.EqualTo(ne.Inputs), p + ".input");
            Assert.That(na.Outputs, Is.EqualTo(ne.Outputs), p + ".output");
            Assert.That(na.Attributes, Has.Count.EqualTo(ne.Attributes.Count), p + " attribute count");
            for (int j = 0; j < ne.Attributes.Count; j++)
            {
                var aa = na.Attributes[j]; var ae = ne.Attributes[j]; string q = $"{p}.attribute '{ae.Name}'";
                Assert.That(aa.Name, Is.EqualTo(ae.Name), q);
                Assert.That(aa.Type, Is.EqualTo(ae.Type), q);
                Assert.That(aa.DocString, Is.EqualTo(ae.DocString), q);
                switch (ae.Type)
                {
                    case OnnxAttributeType.Float: Assert.That(aa.F, Is.EqualTo(ae.F), q); break;
                    case OnnxAttributeType.Int: Assert.That(aa.I, Is.EqualTo(ae.I), q); break;
                    case OnnxAttributeType.String: Assert.That(aa.S, Is.EqualTo(ae.S), q); break;
                    case OnnxAttributeType.Tensor: TensorsEqual(aa.T, ae.T, q); break;
                    case OnnxAttributeType.Floats: Assert.That(aa.Floats ?? [], Is.EqualTo(ae.Floats ?? []), q); break;
                    case OnnxAttributeType.Ints: Assert.That(aa.Ints ?? [], Is.EqualTo(ae.Ints ?? []), q); break;
                    case OnnxAttributeType.Strings: Assert.That(aa.Strings, Is.EqualTo(ae.Strings), q); break;
                    case OnnxAttributeType.Tensors:
                        Assert.That(aa.Tensors, Has.Count.EqualTo(ae.Tensors.Count), q);
                        for (int k = 0; k < ae.Tensors.Count; k++) TensorsEqual(aa.Tensors[k], ae.Tensors[k], $"{q}[{k}]");
                        break;
                }
            }
        }
    }

    static void ValueInfosEqual(List<OnnxValueInfo> a, List<OnnxValueInfo> e, string what)
    {
        Assert.That(a.Select(v => v.ToString()), Is.EqualTo(e.Select(v => v.ToString())), what);
        Assert.That(a.Select(v => v.DocString), Is.EqualTo(e.Select(v => v.DocString)), what + " doc_string");
    }

    public static void TensorsEqual(OnnxTensor a, OnnxTensor e, string what)
    {
        Assert.That(a.Name, Is.EqualTo(e.Name), what + ".name");
        Assert.That(a.Dims, Is.EqualTo(e.Dims), what + ".dims");
        Assert.That(a.DataType, Is.EqualTo(e.DataType), what + ".data_type");
        Assert.That(a.DocString, Is.EqualTo(e.DocString), what + ".doc_string");
        Assert.That(a.RawData, Is.EqualTo(e.RawData), what + ".raw_data");
        // Compare floats by bits so NaN payloads and -0 count.
        Assert.That(a.FloatData?.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(e.FloatData?.Select(BitConverter.SingleToInt32Bits)), what + ".float_data");
        Assert.That(a.Int32Data, Is.EqualTo(e.Int32Data), what + ".int32_data");
        Assert.That(a.Int64Data, Is.EqualTo(e.Int64Data), what + ".int64_data");
        Assert.That(a.DoubleData, Is.EqualTo(e.DoubleData), what + ".double_data");
        Assert.That(a.UInt64Data, Is.EqualTo(e.UInt64Data), what + ".uint64_data");
        Assert.That(a.StringData, Is.EqualTo(e.StringData), what + ".string_data");
    }
}
