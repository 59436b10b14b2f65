package dev.bnfold.cli;

import java.util.Set;

/** The ONNX ops bnfold converts and runs. */
final class SupportedOps {
  private SupportedOps() {}

  static final Set<String> ALL =
      Set.of(
          "Conv",
          "ConvTranspose",
          "Gemm",
          "MatMul",
          "Add",
          "Sub",
          "Mul",
          "Div",
          "Relu",
          "Clip",
          "LeakyRelu",
          "PRelu",
          "Sigmoid",
          "HardSigmoid",
          "HardSwish",
          "Tanh",
          "Softmax",
          "MaxPool",
          "AveragePool",
          "GlobalAveragePool",
          "GlobalMaxPool",
          "ReduceMean",
          "Flatten",
          "Reshape",
          "Transpose",
          "Concat",
          "Split",
          "Slice",
          "Pad",
          "Squeeze",
          "Unsqueeze",
          "BatchNormalization",
          "Identity",
          "Dropout",
          "Constant",
          "Shape",
          "Gather",
          "Cast");
}
