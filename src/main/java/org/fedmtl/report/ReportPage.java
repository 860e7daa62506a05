package org.fedmtl.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.fedmtl.InvalidInputException;
import org.fedmtl.TemporaryFiles;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A self-contained HTML page of the reports: text, and charts drawn with JFreeChart and embedded
 * as PNG images, all drawn together (in parallel) when the page is finished.
 */
final class ReportPage {
  /** Chart size on the page, in CSS pixels; drawn at twice that for sharp high-DPI display. */
  private static final int WIDTH = 640;
  private static final int HEIGHT = 300;
  static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728),
      new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b)};

  static {
    // Charts are drawn off screen; without this, AWT looks for a display where one is set.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private final List<Object> parts = new ArrayList<>();
  private final StringBuilder text = new StringBuilder();

  ReportPage append(Object value) {
    text.append(value);
    return this;
  }

  void chart(JFreeChart chart, String alt) {
    parts.add(text.toString());
    text.setLength(0);
    parts.add(new Chart(chart, alt));
  }

  /** The HTML, the charts drawn in parallel (drawing and PNG encoding are most of the cost). */
  String html() {
    parts.add(text.toString());
    return parts.parallelStream()
        .map(part -> part instanceof Chart chart ? chart.imageTag() : (String) part)
        .collect(Collectors.joining());
  }

  /** The page's HTML, starting with its head and styles. */
  static ReportPage titled(String title) {
    return new ReportPage().append(head(title));
  }

  /** The page's head and styles, up to the opening body tag. */
  private static String head(String title) {
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        + "<title>fedmtl: " + escape(title) + "</title>\n<style>\n"
        + "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:" + (WIDTH + 40)
        + "px;color:#222}\n"
        + "table{border-collapse:collapse;margin:1em 0}"
        + "td,th{padding:.25em .8em;border-bottom:1px solid #ddd;text-align:right}"
        + "td:first-child,th:first-child{text-align:left}\n"
        + "img{display:block;margin:.5em 0 1.5em}.note{color:#666}\n"
        + "</style>\n</head>\n<body>\n";
  }

  /** A line chart over the rounds, one line per entry of {@code lines}. */
  void lineChart( String title, String valueLabel,
      Map<String, List<double[]>> lines, boolean wholeValues) {
    XYSeriesCollection data = new XYSeriesCollection();
    int points = 0;
    for (Map.Entry<String, List<double[]>> line : lines.entrySet()) {
      XYSeries series = new XYSeries(line.getKey(), false, true);
      for (double[] point : line.getValue()) {
        series.add(point[0], point[1]);
      }
      points = Math.max(points, series.getItemCount());
      data.addSeries(series);
    }
    if (points == 0) {
      append("<p class=\"note\">No values recorded yet.</p>\n");
      return;
    }
    JFreeChart chart = ChartFactory.createXYLineChart(title, "round", valueLabel, data,
        PlotOrientation.VERTICAL, lines.size() > 1, false, false);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, points <= 60);
    for (int s = 0; s < lines.size(); s++) {
      renderer.setSeriesPaint(s, PALETTE[s % PALETTE.length]);
      renderer.setSeriesStroke(s, new BasicStroke(2f));
    }
    chart.getXYPlot().setRenderer(renderer);
    style(chart);
    NumberAxis values = (NumberAxis) chart.getXYPlot().getRangeAxis();
    values.setAutoRangeIncludesZero(wholeValues);
    if (wholeValues) {
      values.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    }
    chart(chart, title);
  }

  static void style(JFreeChart chart) {
    chart.setBackgroundPaint(Color.WHITE);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xdddddd));
    plot.setRangeGridlinePaint(new Color(0xdddddd));
    plot.setOutlineVisible(false);
    ((NumberAxis) plot.getDomainAxis()).setStandardTickUnits(
        NumberAxis.createIntegerTickUnits());
  }

  /** Writes the finished page to {@code target}: a temporary file beside it, then a rename. */
  void writeTo(Path target) {
    writeAtomically(target, html());
  }

  /** Writes {@code html} to a temporary file beside {@code target}, then renames it. */
  private static void writeAtomically(Path target, String html) {
    Path folder = target.toAbsolutePath().getParent();
    Path temporary = null;
    try {
      temporary = TemporaryFiles.create(folder, target.getFileName().toString());
      Files.writeString(temporary, html, StandardCharsets.UTF_8);
      RunDirectory.move(temporary, target);
    } catch (IOException e) {
      throw new InvalidInputException("report: cannot write " + target + " ("
          + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
    } finally {
      if (temporary != null) {
        try {
          Files.deleteIfExists(temporary);
        } catch (IOException e) {
          // Only a leftover temporary file; the page itself is in place or was never moved.
        }
      }
    }
  }

  static String format(Object value) {
    if (value == null) {
      return "";
    }
    if (value instanceof Double || value instanceof Float) {
      double number = ((Number) value).doubleValue();
      return number == Math.rint(number) && Math.abs(number) < 1e15
          ? String.format(Locale.ROOT, "%.0f", number)
          : String.format(Locale.ROOT, "%.4g", number);
    }
    return String.valueOf(value);
  }

  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
  private record Chart(JFreeChart chart, String alt) {
    String imageTag() {
      BufferedImage image = chart.createBufferedImage(2 * WIDTH, 2 * HEIGHT, WIDTH, HEIGHT, null);
      byte[] png;
      try {
        png = ChartUtils.encodeAsPNG(image);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot encode the chart '" + alt + "'", e);
      }
      return "<img width=\"" + WIDTH + "\" height=\"" + HEIGHT + "\" alt=\"" + escape(alt)
          + "\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png) + "\">\n";
    }
  }

}
