/** Chart.js with only the pieces the dashboard draws registered, so the rest is tree-shaken away. */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

export function paidChart(
  canvas: HTMLCanvasElement,
  s: { labels: string[]; paidYuan: number[]; paidCount: number[] },
  names: { amount: string; count: string },
): Chart {
  return new Chart(canvas, {
    data: {
      labels: s.labels,
      datasets: [
        { type: "bar", label: names.amount, data: s.paidYuan, backgroundColor: "#07c160", yAxisID: "yuan" },
        {
          type: "line",
          label: names.count,
          data: s.paidCount,
          borderColor: "#245bdb",
          backgroundColor: "#245bdb",
          yAxisID: "count",
          tension: 0.2,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        yuan: { type: "linear", position: "left", beginAtZero: true },
        count: {
          type: "linear",
          position: "right",
          beginAtZero: true,
          grid: { drawOnChartArea: false },
          ticks: { precision: 0 },
        },
      },
    },
  });
}
